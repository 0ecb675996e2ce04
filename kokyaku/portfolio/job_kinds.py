"""The snapshot as a background job (kokyaku/jobs): registered when the app is ready, its steps in the reader's language.

``snapshot_create`` writes everything in one transaction, so a job killed mid-way leaves the
database as it was and retrying it is safe; cancelling raises at the next progress report, inside it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kokyaku.jobs.registry import Actor, Kind, Report, param_date, register
from kokyaku.portfolio.models import Criteria
from kokyaku.portfolio.services import snapshot_create

SNAPSHOT_STEPS = {"loaded": 30, "computed": 70, "written": 100}


def run_snapshot(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    criteria = Criteria.objects.get(pk=params["criteria"]) if params.get("criteria") else None
    report(5, "loading")

    def progress(stage: str, count: int) -> None:
        report(SNAPSHOT_STEPS.get(stage, 50) - (5 if stage == "written" else 0), stage)

    snapshot = snapshot_create(actor=actor, as_of=param_date(params), criteria=criteria, progress=progress)
    return {
        "snapshot": snapshot.pk,
        "as_of": snapshot.as_of.isoformat(),
        "accounts": snapshot.account_count,
        "seconds": round(snapshot.seconds, 1),
    }


from kokyaku.portfolio import export_jobs  # noqa: E402, F401  (registers export_accounts)

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
