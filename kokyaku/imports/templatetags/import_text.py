"""``{% load import_text %}``: import messages and field names in the reader's language."""

from __future__ import annotations

from django import template

from kokyaku.imports import i18n

register = template.Library()


@register.filter
def translated(value: object) -> str:
    """``{{ problem.reason|translated }}``: a Message in the active language (see kokyaku.imports.i18n)."""
    return i18n.translated(value)
