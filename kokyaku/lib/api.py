"""What every app's API router shares: the error bodies and a 422 shaped like ninja's own.

Every error body is ``{"detail": ...}``: a message string, or for 422 the list of invalid fields.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.errors import ValidationError
from pydantic import AfterValidator, BeforeValidator

from kokyaku.lib.dates import out_of_range

MAX_ID = 2**63 - 1  # the largest id a database column holds; a larger one from a URL is simply not found


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the request's language (Accept-Language).")


class InvalidField(Schema):
    """One invalid parameter or field of a 422, as pydantic reports it (``ctx`` and ``input`` may follow)."""

    type: str = Field(description='What is wrong: "missing", "int_parsing", "less_than_equal", "value_error" ...')
    loc: list[str | int] = Field(description='Where: ["query", "limit"], ["body", "payload", "name"], ["path", "account_id"].')
    msg: str


class ValidationErrorOut(Schema):
    detail: list[InvalidField]


# 400: a bad cursor, a value the database refuses, a ValidationError of a service (kokyaku/api/urls.py handlers).
READ_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
ONE_ERRORS: dict[int, Any] = {**READ_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ONE_ERRORS, 400: ErrorOut}


def bad_parameter(name: str, message: str) -> ValidationError:
    """A 422 shaped like ninja's own (docs/api.md: a list under detail), for a query parameter checked by hand."""
    return ValidationError([{"type": "value_error", "loc": ["query", name], "msg": message}])


def _iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` text: pydantic would read ``as_of=0`` as a Unix time, 1970-01-01 (issue 15)."""
    if not isinstance(value, date) and not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("use a date as YYYY-MM-DD")
    return value


def _in_range(value: date) -> date:
    message = out_of_range(value)
    if message:
        raise ValueError(message)
    return value


# A date parameter or field of the API: ISO text within the dates Kokyaku works with; anything else a 422.
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_in_range)]
