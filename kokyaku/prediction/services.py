"""Writes of the prediction app: train and store both models; feed the snapshot; back-test a past portfolio.

``model_train`` is the heavy job (``kokyaku train``, cron): it reads the CRM dated up to a day in
bulk (:func:`~kokyaku.prediction.selectors.crm_frames`), evaluates both models against every
baseline on a time split, fits them on everything up to the day, scores the open deals with their
reasons and writes the version and its predictions in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kokyaku.crm.permissions import AnyUser, check
from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.domain.errors import DomainError, gettext_noop
from kokyaku.domain.portfolio import compute_portfolio
from kokyaku.domain.portfolio.measures import deals_as_of
from kokyaku.domain.prediction import (
    BetaGeoModel,
    CrmFrames,
    DealWinModel,
    account_probabilities,
    backtest,
    evaluate,
    from_bytes,
    score_open_deals,
    to_bytes,
    train_deal_model,
    train_repeat_model,
)
from kokyaku.portfolio.models import Criteria
from kokyaku.portfolio.services import ProvidedProbabilities, convert_amounts, load_portfolio_inputs
from kokyaku.prediction import selectors
from kokyaku.prediction.models import DealPrediction, ModelVersion

Progress = Callable[[str, int], None]
"""Called with a stage name ("loaded", "evaluated", "trained", "written") and a row count."""

HORIZON_DAYS = 91  # "buys in the next period": one quarter, as the quarter share it replaces
MIN_CLOSED_DEALS = 40  # below this DealWinModel predicts the base rate anyway
PREDICTION_BATCH = 5_000


def _stage_table() -> dict[str, float]:
    current = Criteria.objects.order_by("-created_at", "-id").first()
    return dict(current.stage_probabilities) if current else Criteria().stage_probabilities


def model_evaluate(*, as_of: date | None = None, frames: CrmFrames | None = None) -> dict[str, Any]:
    """Return the report ``{"deal": ..., "repeat": ...}`` on the data up to ``as_of`` (stores nothing)."""
    as_of = as_of or timezone.localdate()
    frames = frames if frames is not None else selectors.crm_frames(as_of)
    return evaluate(frames, as_of=as_of, stage_probabilities=_stage_table(), horizon_days=HORIZON_DAYS)


def _fit_deal(frames: CrmFrames, as_of: date) -> DealWinModel | None:
    closed = deals_as_of(frames.deals, as_of)["status"] != "open"
    return train_deal_model(frames, as_of=as_of) if int(closed.sum()) else None


def _fit_repeat(frames: CrmFrames, as_of: date) -> BetaGeoModel | None:
    d = deals_as_of(frames.deals, as_of)
    if d.loc[d["status"] == "won", "account_id"].nunique() < 2:
        return None
    try:
        return train_repeat_model(deals=d, as_of=as_of)
    except DomainError:
        return None


def _reasons(row: Any) -> list[dict[str, Any]]:
    out = []
    for i in (1, 2, 3):
        feature = getattr(row, f"feature_{i}", "")
        if feature:
            value = getattr(row, f"value_{i}")
            value = value.item() if isinstance(value, np.generic) else value
            if isinstance(value, float) and not np.isfinite(value):
                value = None
            out.append({"feature": str(feature), "value": value, "effect": round(float(getattr(row, f"effect_{i}")), 4)})
    return out


def model_train(*, actor: AnyUser | None, as_of: date | None = None, progress: Progress | None = None) -> ModelVersion:
    """Evaluate, fit and store both models on the data dated up to ``as_of`` (default today).

    Managers only (``actor`` None is the system: ``kokyaku train``, cron). Stores a new
    :class:`ModelVersion` with the report, the serving decision and its reason, the fitted models
    (skops / JSON) and, when the deal model serves, every open deal's probability with its three
    reasons, all or nothing.
    """
    check(actor, "model_train")
    as_of = as_of or timezone.localdate()
    started = time.perf_counter()
    notify: Progress = progress or (lambda stage, count: None)
    frames = selectors.crm_frames(as_of)
    d = frames.deals
    notify("loaded", len(d))
    report = model_evaluate(as_of=as_of, frames=frames)
    notify("evaluated", int(report["deal"].get("split", {}).get("test", 0) or 0))
    deal_model = _fit_deal(frames, as_of)
    repeat_model = _fit_repeat(frames, as_of)
    closed = d.loc[d["status"] != "open"]
    notify("trained", len(closed))
    # Reps see stored predictions as the model's word: only a model that serves gives them.
    serves = deal_model is not None and report["deal"]["serving"] == "model"
    scored = score_open_deals(deal_model, frames, as_of=as_of) if serves and deal_model is not None else None
    with transaction.atomic():
        version = ModelVersion.objects.create(
            as_of=as_of,
            data_from=d["opened_on"].min().date() if len(d) else None,
            data_to=max(d["opened_on"].max(), closed["closed_on"].max() if len(closed) else d["opened_on"].max()).date()
            if len(d)
            else None,
            closed_deals=len(closed),
            customers=int(closed.loc[closed["status"] == "won", "account_id"].nunique()),
            deal_serving=report["deal"]["serving"],
            deal_reason=report["deal"]["reason"],
            repeat_serving=report["repeat"]["serving"],
            repeat_reason=report["repeat"]["reason"],
            report=report,
            trained_by=actor if isinstance(actor, User) else None,
        )
        meta = version.meta()
        version.deal_payload = to_bytes(deal_model, meta=meta) if deal_model is not None else None
        version.repeat_payload = to_bytes(repeat_model, meta=meta) if repeat_model is not None else None
        rows = []
        if scored is not None:
            deal_ids = scored["deal_id"].to_numpy(dtype=np.int64).tolist()
            probabilities = scored["probability"].to_numpy(dtype=float).tolist()
            reasons = [_reasons(r) for r in scored.itertuples(index=False)]
            rows = [
                DealPrediction(version=version, deal_id=i, probability=p, reasons=why)
                for i, p, why in zip(deal_ids, probabilities, reasons, strict=True)
            ]
            DealPrediction.objects.bulk_create(rows, batch_size=PREDICTION_BATCH)
        version.seconds = round(time.perf_counter() - started, 3)
        version.save(update_fields=["deal_payload", "repeat_payload", "seconds"])
        notify("written", len(rows))
    return version


def load_models(version: ModelVersion) -> tuple[DealWinModel | None, BetaGeoModel | None]:
    """Load a version's stored models (checked: skops with trusted types only, JSON; nothing runs)."""
    deal = repeat = None
    if version.deal_payload:
        loaded, _meta = from_bytes(bytes(version.deal_payload))
        deal = loaded if isinstance(loaded, DealWinModel) else None
    if version.repeat_payload:
        loaded, _meta = from_bytes(bytes(version.repeat_payload))
        repeat = loaded if isinstance(loaded, BetaGeoModel) else None
    return deal, repeat


def _note(version: ModelVersion) -> dict[str, Any]:
    return {
        "version": version.pk,
        "as_of": version.as_of.isoformat(),
        "deal": {"serving": version.deal_serving, "reason": version.deal_reason},
        "repeat": {"serving": version.repeat_serving, "reason": version.repeat_reason},
    }


def probabilities_as_of(as_of: date, account_ids: np.ndarray | None = None) -> ProvidedProbabilities | None:
    """The ``model`` source for a portfolio as of ``as_of``: the newest version trained on data up to it.

    Applies each version's serving rule: a model that did not beat its baseline gives nothing and
    the portfolio keeps its next source. None when no version was trained by ``as_of``.
    """
    version = selectors.version_as_of(as_of)
    if version is None:
        return None
    note = _note(version)
    deal_model, repeat_model = load_models(version)
    deal_serving = version.deal_serving == "model" and deal_model is not None
    repeat_serving = version.repeat_serving == "model" and repeat_model is not None
    if not (deal_serving or repeat_serving):
        return ProvidedProbabilities(None, None, note)
    frames = selectors.crm_frames(as_of)
    accounts = frames.accounts
    assert accounts is not None  # crm_frames always loads them
    ids = np.asarray(account_ids) if account_ids is not None else accounts["account_id"].to_numpy()
    report = {
        "deal": {"serving": "model" if deal_serving else "base_rate"},
        "repeat": {"serving": "model" if repeat_serving else "history"},
    }
    scored = score_open_deals(deal_model, frames, as_of=as_of, explain=False) if deal_serving and deal_model else None
    probs = account_probabilities(
        ids, deals=frames.deals, as_of=as_of, report=report, scored=scored, repeat_model=repeat_model, horizon_days=HORIZON_DAYS
    )
    return ProvidedProbabilities(
        pd.Series(probs.model_probability, index=ids) if deal_serving else None,
        pd.Series(probs.repeat_probability, index=ids) if repeat_serving else None,
        note,
    )


def snapshot_probabilities(as_of: date) -> ProvidedProbabilities | None:
    """The provider the snapshot asks (registered in ``PredictionConfig.ready``)."""
    return probabilities_as_of(as_of)


def portfolio_backtest(*, as_of: date, horizon_months: int = 6) -> dict[str, Any]:
    """Compute the portfolio as of a past date (models trained by then) and compare its zones with later revenue.

    Returns the domain's :func:`~kokyaku.domain.prediction.backtest` report plus ``models`` (which
    version served and why, or None), ``band_notes`` and, when some are, ``left_out``: the later
    won deals per currency without a rate (``{"GBP": 2}``, largest first). Stores nothing. Amounts in the company
    currency at the company's rates now: the past portfolio's as a snapshot converts them, the
    later revenue as Home and the targets (a deal in a currency without a rate left out).
    """
    if horizon_months < 1:
        raise DomainError.of(gettext_noop("the horizon must be at least one month, got %(months)s"), months=horizon_months)
    current = Criteria.objects.order_by("-created_at", "-id").first() or Criteria()
    company = company_settings()
    rates = conversion_rates()  # read once: the past portfolio's amounts and the later revenue, as a snapshot's
    accounts, deals = load_portfolio_inputs(as_of)
    convert_amounts(deals, company=company.currency, rates=rates)
    ids = accounts["account_id"].to_numpy()
    provided = probabilities_as_of(as_of, ids)
    result = compute_portfolio(
        ids,
        deals,
        as_of=as_of,
        criteria=current.to_spec(),
        dormancy_days=int(company.dormancy_days),
        model_probability=None
        if provided is None or provided.model_probability is None
        else provided.model_probability.to_numpy(),
        repeat_probability=None
        if provided is None or provided.repeat_probability is None
        else provided.repeat_probability.to_numpy(),
    )
    end = (pd.Timestamp(as_of) + pd.DateOffset(months=horizon_months)).date()
    later = selectors.later_deals(as_of, end, company=company.currency, rates=rates)
    rated = later["currency"].isin([company.currency, *rates]).to_numpy()
    left_out = later.loc[~rated, "currency"].value_counts()
    out = backtest(result.frame, later.loc[rated], as_of=as_of, horizon_months=horizon_months)
    if len(left_out):  # won deals in a currency without a rate: not in the later revenue, the page says so
        out["left_out"] = {str(code): int(n) for code, n in sorted(left_out.items(), key=lambda kv: (-kv[1], kv[0]))}
    out["models"] = provided.note if provided is not None else None
    out["band_notes"] = result.band_notes_dict()
    return out


def version_store_backtest(*, actor: AnyUser | None, version: ModelVersion, result: dict[str, Any]) -> ModelVersion:
    """Keep a back-test's result with the version trained on its as-of date (the model page charts it)."""
    check(actor, "model_train")
    version.report = {**version.report, "backtest": result}
    version.save(update_fields=["report"])
    return version
