"""The built-in kinds: the snapshot, the import and the training run, each reusing its service's progress callback.

Each service writes everything in one transaction, so a job killed mid-way leaves the database as it
was and retrying it is safe; cancelling raises at the next progress report, inside that transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from kokyaku.imports.services import import_recorded
from kokyaku.jobs.registry import Actor, Kind, Report, register
from kokyaku.portfolio.models import Criteria
from kokyaku.portfolio.services import snapshot_create
from kokyaku.prediction.services import model_train


def _date(params: dict[str, Any]) -> date | None:
    value = params.get("as_of")
    return date.fromisoformat(value) if value else None


SNAPSHOT_STEPS = {"loaded": 30, "computed": 70, "written": 100}


def run_snapshot(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    criteria = Criteria.objects.get(pk=params["criteria"]) if params.get("criteria") else None
    report(5, "loading")

    def progress(stage: str, count: int) -> None:
        report(SNAPSHOT_STEPS.get(stage, 50) - (5 if stage == "written" else 0), stage)

    snapshot = snapshot_create(actor=actor, as_of=_date(params), criteria=criteria, progress=progress)
    return {
        "snapshot": snapshot.pk,
        "as_of": snapshot.as_of.isoformat(),
        "accounts": snapshot.account_count,
        "seconds": round(snapshot.seconds, 1),
    }


def run_import(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(1, "reading")

    def progress(done: int, total: int) -> None:
        report(min(95, int(95 * done / total)) if total else 50, "rows")

    source = str(params["source"]) if params.get("source") in ("web", "api") else "cli"
    summary = import_recorded(  # with its line in the import history, whatever the outcome
        source=source,
        actor=actor,
        kind=params["kind"],
        path=params["path"],
        mapping=params.get("mapping"),
        file_name=params.get("file_name"),
        skip_invalid=bool(params.get("skip_invalid")),
        progress=progress,
    )
    return {
        "history": summary.history_id,
        "kind": summary.kind,
        "file": summary.file,
        "created": summary.created,
        "updated": summary.updated,
        "rejected": summary.rejected,
        "seconds": summary.seconds,
    }


TRAIN_STEPS = {"loaded": 20, "evaluated": 60, "trained": 85}


def run_train(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(5, "loading")

    def progress(stage: str, count: int) -> None:
        report(TRAIN_STEPS.get(stage, 50), stage)

    version = model_train(actor=actor, as_of=_date(params), progress=progress)
    return {"version": version.pk, "as_of": version.as_of.isoformat()}


register(
    Kind(
        name="snapshot",
        label=_("Snapshot"),
        right="snapshot_create",
        run=run_snapshot,
        steps={
            "loading": _("loading accounts and deals"),
            "loaded": _("scoring"),
            "computed": _("writing"),
            "written": _("finishing"),
        },
    )
)
register(
    Kind(
        name="import",
        label=_("Import"),
        right="job_enqueue",
        run=run_import,
        steps={"reading": _("reading the file"), "rows": _("importing rows")},
    )
)
register(
    Kind(
        name="train",
        label=_("Model training"),
        right="model_train",
        run=run_train,
        steps={
            "loading": _("loading deals"),
            "loaded": _("evaluating"),
            "evaluated": _("fitting"),
            "trained": _("scoring open deals"),
        },
    )
)
