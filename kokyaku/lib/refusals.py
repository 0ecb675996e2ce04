"""One wording for a service's refusal shown to the user: a rule broken, a right missing, a domain error."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from kokyaku.domain.errors import DomainError, Text


def refusal_text(exc: ValidationError | PermissionDenied) -> str:
    """The refusal's own sentences: every message of a ValidationError, or the PermissionDenied's text."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def translated(value: object) -> str:
    """A domain :class:`Text` in the active language (its parameters as data); any other value as text."""
    if isinstance(value, Text):
        return (
            gettext(value.msgid) % {k: translated(v) for k, v in value.params.items()} if value.params else gettext(value.msgid)
        )
    if isinstance(value, tuple):
        return ", ".join(translated(v) for v in value)
    return str(value)


def domain_text(exc: BaseException) -> str:
    """A DomainError's message in the active language (English text if it was raised without a msgid)."""
    return translated(exc.text) if isinstance(exc, DomainError) else str(exc)
