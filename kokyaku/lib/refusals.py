"""One wording for a service's refusal shown to the user: a rule broken or a right missing."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


def refusal_text(exc: ValidationError | PermissionDenied) -> str:
    """The refusal's own sentences: every message of a ValidationError, or the PermissionDenied's text."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
