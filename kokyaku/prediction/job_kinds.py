"""Training the models as a background job (kokyaku/jobs), registered when the app is ready.

``model_train`` writes in one transaction: a job killed mid-way leaves the database as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from kokyaku.jobs.registry import Actor, Kind, Report, register
from kokyaku.prediction.services import model_train


def param_date(params: dict[str, Any], key: str = "as_of") -> date | None:
    value = params.get(key)
    return date.fromisoformat(value) if value else None


TRAIN_STEPS = {"loaded": 20, "evaluated": 60, "trained": 85}


def run_train(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(5, "loading")

    def progress(stage: str, count: int) -> None:
        report(TRAIN_STEPS.get(stage, 50), stage)

    version = model_train(actor=actor, as_of=param_date(params), progress=progress)
    return {"version": version.pk, "as_of": version.as_of.isoformat()}


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
