"""Import messages and field names in the reader's language, rendered at display time.

The pure modules (reader, mapping, validate) build :class:`~kokyaku.imports.errors.Message` objects:
English text that keeps its msgid and parameters. Here they are looked up in the catalog of the
active language (Japanese for a manager using the app in 日本語 and for the CLI on a ja_JP terminal,
English for API calls without ``Accept-Language``) only when a page or an answer shows them.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, gettext_lazy
from django_stubs_ext import StrOrPromise

from kokyaku.buyers.models import KeyPerson
from kokyaku.crm.models import Account, Activity, Deal, Rep
from kokyaku.imports.errors import ImportFileError, Message, Problem
from kokyaku.imports.fields import schema

# the human names of the built-in mappings (the start page's select and the review page)
MAPPING_LABELS: dict[str, StrOrPromise] = {
    "generic": gettext_lazy("Kokyaku generic columns"),
    "salesforce": gettext_lazy("Salesforce"),
    "hubspot": gettext_lazy("HubSpot"),
    "salesforce_report": gettext_lazy("Salesforce report (English labels)"),
    "salesforce_report_ja": gettext_lazy("Salesforce report (Japanese labels)"),
    "kintone": gettext_lazy("kintone (deal management app)"),
}
# the model whose verbose names name an import kind's fields (purchases name their own, in fields.py)
_MODELS: dict[str, type[models.Model]] = {
    "accounts": Account, "reps": Rep, "deals": Deal, "activities": Activity, "contacts": KeyPerson,
}  # fmt: skip


def translated(value: object) -> str:
    """A Message (or an ImportFileError holding one) in the active language; anything else as text.

    Parameters stay as they are (file, row, column, value are data), except Messages and tuples of
    them, which are translated too.
    """
    if isinstance(value, ImportFileError):
        value = value.message
    if isinstance(value, Message):
        text = gettext(value.msgid)
        if not value.params:
            return text
        return text % {k: _param(v) for k, v in value.params.items()}
    return str(value)


def problem_text(problem: Problem) -> str:
    """One problem as a line in the active language: file, row, column, value as typed, and why."""
    if (get_language() or "en").startswith("en"):
        return str(problem)
    where = gettext("%(file)s: row %(row)s") % {"file": problem.file, "row": problem.row}
    if problem.column:
        where += gettext(", column '%(column)s'") % {"column": problem.column}
    if problem.value != "":
        where += gettext(", value '%(value)s'") % {"value": problem.value}
    return f"{where}: {translated(problem.reason)}"


def _param(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(translated(v) for v in value)
    return translated(value)


def field_label(kind: str, name: str) -> str:
    """The human name of an import field: the crm model's verbose name where it maps to one, else its own."""
    model = _MODELS.get(kind)
    if model is not None:
        with contextlib.suppress(FieldDoesNotExist):  # account_name on deals: its own label below
            verbose = getattr(model._meta.get_field(name), "verbose_name", None)  # none on a reverse relation
            if verbose:
                return capfirst(str(verbose))
    field = schema(kind).get(name)
    return capfirst(gettext(field.label)) if field is not None and field.label else name


def mapping_label(name: str) -> str:
    """A built-in mapping's human name ("Salesforce"); an edited or unknown one keeps its name."""
    label = MAPPING_LABELS.get(name)
    return str(label) if label is not None else name
