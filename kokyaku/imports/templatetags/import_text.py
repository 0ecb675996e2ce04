"""``{% load import_text %}``: import messages and field names in the reader's language."""

from __future__ import annotations

from django import template

from kokyaku.imports import i18n

register = template.Library()


@register.filter
def translated(value: object) -> str:
    """``{{ problem.reason|translated }}``: a Message in the active language (see kokyaku.imports.i18n)."""
    return i18n.translated(value)


@register.filter
def kind_label(kind: str) -> str:
    """``{{ run.kind|kind_label }}``: "Deals" / 商談 for deals."""
    from kokyaku.imports.forms import KIND_LABELS  # forms import Django forms; keep this module light

    return str(KIND_LABELS.get(kind, kind))


@register.filter
def mapping_label(name: str) -> str:
    """``{{ run.mapping|mapping_label }}``: a built-in mapping's human name, any other as it is."""
    return i18n.mapping_label(name)
