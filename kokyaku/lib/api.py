"""What every app's API router shares: the error bodies and a 422 shaped like ninja's own.

Every error body is ``{"detail": ...}``: a message string, or for 422 the list of invalid fields.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from ninja.errors import ValidationError

MAX_ID = 2**63 - 1  # the largest id a database column holds; a larger one from a URL is simply not found


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict[str, object]]


READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
ONE_ERRORS: dict[int, Any] = {**READ_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ONE_ERRORS, 400: ErrorOut}


def bad_parameter(name: str, message: str) -> ValidationError:
    """A 422 shaped like ninja's own (docs/api.md: a list under detail), for a query parameter checked by hand."""
    return ValidationError([{"type": "value_error", "loc": ["query", name], "msg": message}])
