"""The kinds of job: what each runs, who may start it, how its progress reads.

A kind is registered once (``kinds.py`` registers the built-in ones when the app is ready); the
job layer runs any of them the same way, in a thread of the web process or on a Celery worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext
from django_stubs_ext import StrOrPromise

Actor = AbstractBaseUser | AnonymousUser | None
Report = Callable[[int, str], None]  # (percent 0-100, step key)
Runner = Callable[[Actor, dict[str, Any], Report], dict[str, Any]]  # returns the result summary (JSON)


@dataclass(frozen=True)
class Outcome:
    """What a done job's page says, in the reader's language, and where its result is (a page or a download)."""

    text: str
    url: str = ""
    link: str = ""


Describe = Callable[[int, dict[str, Any]], Outcome]  # (job id, result summary) -> what the page says


class JobCancelled(Exception):
    """Raised inside a running job at its next progress report after a manager cancelled it."""


class JobFailed(Exception):
    """A kind's own refusal: one line for the job's page (no traceback in the log), and what the page shows with it.

    ``result`` is kept as the failed job's result (a refused import's history line, a check's problems).
    """

    def __init__(self, reason: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.job_result: dict[str, Any] = result or {}

    @property
    def messages(self) -> list[str]:
        return [str(self.args[0])]


@dataclass(frozen=True)
class Kind:
    name: str
    label: StrOrPromise
    right: str  # the write in crm/permissions.py RIGHTS the starter needs besides job_enqueue
    run: Runner
    steps: dict[str, StrOrPromise]  # step key -> what the progress bar says
    cancellable: bool = True  # safe when everything it writes is one transaction
    describe: Describe | None = None  # how the job page shows the result (else a per-kind branch of _progress.html)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    KINDS[kind.name] = kind


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown job kind {name!r}; one of: {', '.join(sorted(KINDS))}") from None


def param_date(params: dict[str, Any], key: str = "as_of") -> date | None:
    """A date parameter (``YYYY-MM-DD``) of a job, None when absent; a bad one fails the job naming it and its value."""
    value = params.get(key)
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        message = gettext("%(field)s: %(value)s is not a date (use YYYY-MM-DD).")
        raise JobFailed(message % {"field": key, "value": repr(value)}) from None
