"""Reads of the import history (for the import page and GET /api/imports)."""

from __future__ import annotations

from pathlib import Path

from kokyaku.imports.models import ImportRun, SavedMapping

HISTORY_SHOWN = 20


def import_runs_recent(*, limit: int = HISTORY_SHOWN, kind: str | None = None) -> list[ImportRun]:
    """The latest imports, newest first, with who ran them (one query)."""
    runs = ImportRun.objects.select_related("user").order_by("-started_at", "-id")
    if kind:
        runs = runs.filter(kind=kind)
    return list(runs[:limit])


def import_run_get(run_id: int | None) -> ImportRun | None:
    """One line of the import history, or None."""
    return ImportRun.objects.filter(pk=run_id).first() if run_id else None


def saved_mappings(*, kind: str | None = None) -> list[SavedMapping]:
    """The mappings managers saved, by kind and name."""
    saved = SavedMapping.objects.order_by("kind", "name")
    return list(saved.filter(kind=kind) if kind else saved)


def saved_mapping_names(*, kind: str) -> list[str]:
    """The names of the mappings saved for ``kind``, in order."""
    return list(SavedMapping.objects.filter(kind=kind).order_by("name").values_list("name", flat=True))


def run_rejects(run_id: int) -> tuple[Path, str] | None:
    """The CSV of rows an import set aside and its download name ("<file>-rejects.csv"), if it kept one still there."""
    run = ImportRun.objects.filter(pk=run_id).first()
    path = run.rejects_path if run is not None else None
    if run is None or path is None:
        return None
    return path, f"{Path(run.file_name).name.split('.')[0] or 'import'}-rejects.csv"
