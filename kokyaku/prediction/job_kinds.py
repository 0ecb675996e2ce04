"""Training the models and the back-test as background jobs (kokyaku/jobs), registered when the app is ready.

``model_train`` writes in one transaction; the back-test computes the past portfolio (nothing stored)
and keeps its result with the model version of its date, in one transaction: a job killed mid-way
leaves the database as it was and retrying either is safe.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kokyaku.jobs.registry import Actor, Kind, Outcome, Report, param_date, register
from kokyaku.prediction.selectors import version_as_of

TRAIN_STEPS = {"loaded": 20, "evaluated": 60, "trained": 85}


def run_train(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(5, "loading")

    def progress(stage: str, count: int) -> None:
        report(TRAIN_STEPS.get(stage, 50), stage)

    from kokyaku.prediction.services import model_train  # scikit-learn loads with it: at the job, not at start

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


def run_backtest(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    as_of = param_date(params)
    if as_of is None:
        raise ValueError("as_of is required (YYYY-MM-DD)")
    horizon = int(params.get("horizon_months") or 6)
    from kokyaku.prediction.services import portfolio_backtest, version_store_backtest  # as run_train

    report(5, "computing")
    with transaction.atomic():
        result = portfolio_backtest(as_of=as_of, horizon_months=horizon)
        report(85, "storing")
        version = version_as_of(as_of)
        if version is not None:  # the model page charts the back-test of the version that served
            version_store_backtest(actor=actor, version=version, result=result)
    versus = result.get("versus_price") or {}
    return {
        "as_of": as_of.isoformat(),
        "horizon_months": horizon,
        "version": version.pk if version is not None else None,
        "a_over_c": result.get("a_over_c"),
        "verdict": versus.get("verdict"),
    }


def describe_backtest(job_id: int, result: dict[str, Any]) -> Outcome:
    ratio = result.get("a_over_c")
    text = gettext("Back-test as of %(as_of)s over %(n)s months: zone A earns %(r)s times zone C per account.") % {
        "as_of": result.get("as_of"),
        "n": result.get("horizon_months"),
        "r": "–" if ratio is None else f"{ratio:.2f}",
    }
    return Outcome(text, reverse("prediction:model") + "#backtest", gettext("Open the model page"))


register(
    Kind(
        name="backtest",
        label=_("Back-test"),
        right="model_train",
        run=run_backtest,
        steps={"computing": _("computing the past portfolio and its later revenue"), "storing": _("keeping the result")},
        describe=describe_backtest,
    )
)
