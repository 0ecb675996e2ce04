"""Reads of the import history (for the import page and GET /api/imports)."""

from __future__ import annotations

from django.db.models import QuerySet

from kokyaku.imports.models import ImportRun, SavedMapping

HISTORY_SHOWN = 20


def import_runs_recent(*, limit: int = HISTORY_SHOWN, kind: str | None = None) -> QuerySet[ImportRun]:
    """The latest imports, newest first, with who ran them (one query)."""
    runs = ImportRun.objects.select_related("user").order_by("-started_at", "-id")
    if kind:
        runs = runs.filter(kind=kind)
    return runs[:limit]


def saved_mappings(*, kind: str | None = None) -> QuerySet[SavedMapping]:
    """The mappings managers saved, by kind and name."""
    saved = SavedMapping.objects.order_by("kind", "name")
    return saved.filter(kind=kind) if kind else saved
