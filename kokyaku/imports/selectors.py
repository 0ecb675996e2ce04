"""Reads of the import history (for the import page and GET /api/imports)."""

from __future__ import annotations

from pathlib import Path

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


def run_rejects(run_id: int) -> tuple[Path, str] | None:
    """The CSV of rows an import set aside and its download name ("<file>-rejects.csv"), if it kept one still there."""
    run = ImportRun.objects.filter(pk=run_id).first()
    path = run.rejects_path if run is not None else None
    if run is None or path is None:
        return None
    return path, f"{Path(run.file_name).name.split('.')[0] or 'import'}-rejects.csv"
