"""Template filters of the assignment pages."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.972 -> "97.2%" (localised decimal separator); None -> "—"."""
    if value is None:
        return "—"
    return f"{number_format(round(float(value) * 100, 1), 1)}%"
