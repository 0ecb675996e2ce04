"""The dates Kokyaku works with: a bound every date from outside (a query string, a form, a command) is held to.

pandas' nanosecond timestamps end in 1677 and 2262, and Python's dates at years 1 and 9999: a date
near either edge (``0001-01-01``, ``9999-12-31``) made 500s deep in the arithmetic (issue 15). A
customer portfolio has nothing before 1900 or after 2199, so a date outside is refused up front
with a message naming it.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def out_of_range(value: date) -> str | None:
    """The message refusing ``value`` when it is outside EARLIEST..LATEST, else None."""
    if EARLIEST <= value <= LATEST:
        return None
    return _("%(value)s is outside the dates Kokyaku works with (%(earliest)s to %(latest)s).") % {
        "value": value.isoformat(),
        "earliest": EARLIEST.isoformat(),
        "latest": LATEST.isoformat(),
    }


def check_day(value: date, name: str) -> date:
    """``value`` when it is within EARLIEST..LATEST; else a ValidationError naming ``name`` and the value."""
    message = out_of_range(value)
    if message:
        raise ValidationError(f"{name}: {message}")
    return value


def validate_day(value: date | None) -> None:
    """A form field validator: refuses a date outside EARLIEST..LATEST with the message of :func:`out_of_range`."""
    message = out_of_range(value) if value is not None else None
    if message:
        raise ValidationError(message, code="out_of_range")
