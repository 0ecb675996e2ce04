"""The honest report: each model against every baseline, on a time split, in the same run.

:func:`evaluate` returns the shape ``kokyaku evaluate --json`` writes::

    {"deal":   {"serving": "model" | "base_rate", "reason": code, "metrics": {name: {auc, brier, log_loss, ece, n}}, ...},
     "repeat": {"serving": "model" | "history",   "reason": code, "metrics": {...}, ...}}

plus, in each part, ``split`` (dates and counts), ``deciles`` (predicted vs actual per decile, per
name: the reliability diagram's data) and, for deals, ``paired`` (the model on exactly the rows a
partial baseline covers) and ``importance`` (permutation importance on the test deals).

**Serving rule.** The deal model feeds the portfolio only if its Brier score on the newer deals
beats the base rate's; otherwise open deals get no model probability and the portfolio keeps its
next source (rep, stage, history), and ``reason`` says why. The repeat-purchase model replaces the
quarter share (``history``) only if its log loss on the next period beats the quarter share's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.inspection import permutation_importance

from kokyaku.domain.portfolio.criteria import DEFAULT_STAGE_PROBABILITIES
from kokyaku.domain.portfolio.measures import RepurchaseRate, deals_as_of, purchase_periods
from kokyaku.domain.prediction.baselines import NaiveBayesScorer
from kokyaku.domain.prediction.deal_model import DealWinModel
from kokyaku.domain.prediction.features import CrmFrames, screen_leaks, view_dates
from kokyaku.domain.prediction.metrics import decile_table, score
from kokyaku.domain.prediction.repeat import BetaGeoModel, rfm_summary

FloatArray = npt.NDArray[np.float64]

# Reason codes (the CLI and the pages translate them).
REASONS: tuple[str, ...] = (
    "model_beats_base_rate",
    "model_not_better_than_base_rate",
    "too_few_closed_deals",
    "one_outcome_only",
    "one_outcome_in_a_split",
    "no_time_split",
    "model_beats_history",
    "model_not_better_than_history",
    "too_few_customers",
)
MIN_TEST_DEALS = 20
MIN_CUSTOMERS = 20


def to_json(value: Any) -> Any:
    """Numbers as plain floats (NaN -> None), arrays and frames as lists: ready for json.dumps."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [to_json(r) for r in value.to_dict(orient="records")]
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _report(result: dict[str, Any]) -> dict[str, Any]:
    out = to_json(result)
    assert isinstance(out, dict)
    return out


def team_of(deals: pd.DataFrame, reps: pd.DataFrame | None) -> npt.NDArray[np.object_]:
    """Each deal's team (its owner's), "" when unknown: the naive-Bayes scorer counts per team."""
    out = np.full(len(deals), "", dtype=object)
    if reps is None or "team_id" not in reps.columns or not len(deals):
        return out
    team = reps.drop_duplicates("rep_id").set_index("rep_id")["team_id"]
    mapped = pd.to_numeric(deals["owner_id"], errors="coerce").map(team)
    return mapped.where(mapped.notna(), "").astype(str).to_numpy(dtype=object)


def history_probability(
    account_ids: npt.ArrayLike, deals: pd.DataFrame, *, as_of: date, period_days: int = 91, periods: int = 8
) -> FloatArray:
    """Return today's ``history`` measure per account as of a date (NaN without a past deal).

    Exactly the snapshot's: the empirical-Bayes share of past periods with a purchase
    (:class:`~kokyaku.domain.portfolio.measures.RepurchaseRate`), fitted on every account with history.
    """
    ids = np.asarray(account_ids)
    d = deals_as_of(deals, as_of)
    closed = d.loc[d["status"] != "open"]
    out = np.full(len(ids), np.nan)
    if not len(closed):
        return out
    k, n = purchase_periods(ids, closed, as_of=as_of, period_days=period_days, periods=periods)
    has = n > 0
    if bool(has.any()):
        out[has] = RepurchaseRate().fit(k[has], n[has]).predict(k[has], n[has])
    return out


def _table(names: Mapping[str, tuple[npt.NDArray[np.int64], FloatArray]]) -> tuple[dict[str, Any], dict[str, Any]]:
    metrics = {name: score(y, p) for name, (y, p) in names.items()}
    deciles = {name: decile_table(y, p) for name, (y, p) in names.items() if len(y)}
    return metrics, deciles


def evaluate_deals(
    frames: CrmFrames,
    *,
    as_of: date,
    test_share: float = 0.25,
    stage_probabilities: Mapping[str, float] = DEFAULT_STAGE_PROBABILITIES,
    model: DealWinModel | None = None,
    importance_rows: int = 20_000,
    random_state: int = 0,
) -> dict[str, Any]:
    """Train the deal model on the older closed deals and score it and every baseline on the newer.

    Deals closed up to ``as_of`` are split by close date: the newest ``test_share`` are the test
    deals (every deal closed on the split day stays in training). Each deal is seen at a seeded
    day of its life (:func:`~kokyaku.domain.prediction.features.view_dates`). Baselines: the
    training deals' win rate (``base_rate``), Odoo-style ``naive_bayes``, the ``stage`` table and
    the ``rep``'s number where the test deals carry them, and the account's ``history`` measure as
    of the split day. ``model`` overrides the estimator's parameters (a fresh clone is fitted).
    """
    deals = frames.deals
    d = deals_as_of(deals, as_of).reset_index(drop=True)
    closed = (d["status"] != "open").to_numpy()
    result: dict[str, Any] = {"serving": "base_rate", "reason": "too_few_closed_deals", "metrics": {}}
    if int(closed.sum()) < 2 * MIN_TEST_DEALS:
        result["split"] = {"as_of": as_of.isoformat(), "closed": int(closed.sum())}
        return _report(result)
    at = view_dates(d, as_of=as_of, random_state=random_state)
    X = frames.features(d, at=at)
    dc = d.loc[closed]
    order = np.argsort(dc["closed_on"].to_numpy(), kind="stable")
    rows = np.flatnonzero(closed)[order]
    close = d["closed_on"].to_numpy()[rows]
    split_day = close[round(len(rows) * (1 - test_share)) - 1]
    train, test = rows[close <= split_day], rows[close > split_day]
    result["split"] = {
        "as_of": as_of.isoformat(),
        "train_until": pd.Timestamp(split_day).date().isoformat(),
        "train": len(train),
        "test": len(test),
    }
    if len(test) < MIN_TEST_DEALS:
        result["reason"] = "no_time_split"
        return _report(result)
    won = (d["status"] == "won").to_numpy().astype(np.int64)
    y_train, y_test = won[train], won[test]
    leaks = screen_leaks(d.iloc[train])
    est = DealWinModel(random_state=random_state) if model is None else DealWinModel(**model.get_params())
    est.set_params(drop_features=tuple(sorted(set(est.drop_features) | set(leaks))))
    est.fit(X.iloc[train], y_train, time=d["closed_on"].to_numpy()[train])
    result["model"] = {
        "chosen": est.chosen_,
        "calibration": est.calibration_,
        "candidate_brier": est.candidate_brier_,
        "features": est.features_,
        "dropped_features": {**est.dropped_, **leaks},
        "shrink": est.shrink_,
    }
    teams = team_of(d, frames.reps)
    nb = NaiveBayesScorer().fit(X.iloc[train], y_train, team=teams[train])
    p_model = est.predict_proba(X.iloc[test])[:, 1]
    named: dict[str, tuple[npt.NDArray[np.int64], FloatArray]] = {
        "model": (y_test, p_model),
        "base_rate": (y_test, np.full(len(test), float(y_train.mean()))),
        "naive_bayes": (y_test, nb.predict_proba(X.iloc[test], team=teams[test])[:, 1]),
    }
    partial: dict[str, npt.NDArray[np.bool_]] = {}
    table = {str(k): float(v) / 100.0 for k, v in stage_probabilities.items()}
    stage_p = d["stage"].iloc[test].astype(object).map(table).to_numpy(dtype=float)
    partial["stage"] = np.isfinite(stage_p)
    rep_p = pd.to_numeric(d["probability"].iloc[test], errors="coerce").to_numpy(dtype=float) / 100.0
    partial["rep"] = np.isfinite(rep_p)
    ids = pd.unique(d["account_id"].iloc[test])
    hist = pd.Series(history_probability(ids, deals, as_of=pd.Timestamp(split_day).date()), index=ids)
    hist_p = hist.reindex(d["account_id"].iloc[test]).to_numpy(dtype=float)
    partial["history"] = np.isfinite(hist_p)
    paired: dict[str, Any] = {}
    for name, values in (("stage", stage_p), ("rep", rep_p), ("history", hist_p)):
        mask = partial[name]
        if bool(mask.any()):
            named[name] = (y_test[mask], np.clip(values[mask], 0.0, 1.0))
            paired[name] = {
                "model": score(y_test[mask], p_model[mask]),
                name: score(y_test[mask], np.clip(values[mask], 0.0, 1.0)),
            }
    metrics, deciles = _table(named)
    result.update(metrics=metrics, deciles=deciles, paired=paired)
    beats = est.estimator_ is not None and (metrics["model"]["brier"] or 1.0) < (metrics["base_rate"]["brier"] or 0.0)
    result["serving"] = "model" if beats else "base_rate"
    result["reason"] = (
        "model_beats_base_rate" if beats else (est.reason_ if est.estimator_ is None else "model_not_better_than_base_rate")
    )
    result["importance"] = _importance(est, X.iloc[test], y_test, rows=importance_rows, random_state=random_state)
    return _report(result)


def _importance(
    est: DealWinModel, X: pd.DataFrame, y: npt.NDArray[np.int64], *, rows: int, random_state: int
) -> list[dict[str, Any]]:
    """Permutation importance (rise in Brier score when a feature is shuffled), largest first."""
    if est.estimator_ is None or y.min() == y.max() or rows <= 0:
        return []
    result = permutation_importance(
        est,
        X[est.features_],
        y,
        scoring="neg_brier_score",
        n_repeats=5,
        random_state=random_state,
        max_samples=min(1.0, rows / len(y)),
    )
    table = pd.DataFrame({"feature": est.features_, "importance": result.importances_mean, "std": result.importances_std})
    return [{str(k): v for k, v in r.items()} for r in table.sort_values("importance", ascending=False).to_dict(orient="records")]


def evaluate_repeat(
    *, deals: pd.DataFrame, as_of: date, horizon_days: int = 91, unit_days: float = 7.0, periods: int = 8, penalizer: float = 0.0
) -> dict[str, Any]:
    """Score "buys in the next period" for the BG/NBD model, the quarter share and the base rate.

    Split at ``as_of - horizon_days``: every customer with a purchase by then is scored with what
    was known then, and the outcome is whether it bought in the ``horizon_days`` after. The base
    rate is the share of the customers known one period earlier that bought in the period before
    the split (knowable at the split).
    """
    split = as_of - timedelta(days=horizon_days)
    result: dict[str, Any] = {"serving": "history", "reason": "too_few_customers", "metrics": {}}
    stamp = pd.Timestamp(split)
    won = deals.loc[(deals["status"] == "won") & deals["closed_on"].notna()]
    ids = np.sort(np.asarray(pd.unique(won.loc[won["closed_on"] <= stamp, "account_id"])))
    later = won.loc[(won["closed_on"] > stamp) & (won["closed_on"] <= pd.Timestamp(as_of)), "account_id"]
    result["split"] = {
        "as_of": as_of.isoformat(),
        "train_until": split.isoformat(),
        "horizon_days": horizon_days,
        "customers": len(ids),
    }
    if len(ids) < MIN_CUSTOMERS:
        return _report(result)
    y = np.isin(ids, np.asarray(pd.unique(later))).astype(np.int64)
    rfm = rfm_summary(ids, deals, as_of=split, unit_days=unit_days)
    bg = BetaGeoModel(penalizer=penalizer, unit_days=unit_days).fit(rfm["frequency"], rfm["recency"], rfm["age"])
    p_model = bg.p_purchase(rfm["frequency"], rfm["recency"], rfm["age"], horizon=horizon_days / unit_days)
    p_hist = history_probability(ids, deals, as_of=split, period_days=horizon_days, periods=periods)
    before = stamp - pd.Timedelta(days=horizon_days)
    known = np.asarray(pd.unique(won.loc[won["closed_on"] <= before, "account_id"]))
    bought = np.asarray(pd.unique(won.loc[(won["closed_on"] > before) & (won["closed_on"] <= stamp), "account_id"]))
    base = float(np.isin(known, bought).mean()) if len(known) else float(y.mean())
    metrics, deciles = _table(
        {"model": (y, p_model), "history": (y, np.nan_to_num(p_hist, nan=base)), "base_rate": (y, np.full(len(y), base))}
    )
    both = 0 < int(y.sum()) < len(y)
    beats = both and (metrics["model"]["log_loss"] or np.inf) < (metrics["history"]["log_loss"] or 0.0)
    reason = "one_outcome_only" if not both else ("model_beats_history" if beats else "model_not_better_than_history")
    result.update(
        serving="model" if beats else "history",
        reason=reason,
        metrics=metrics,
        deciles=deciles,
        model={"r": bg.r_, "alpha": bg.alpha_, "a": bg.a_, "b": bg.b_, "converged": bg.converged_, "unit_days": unit_days},
    )
    return _report(result)


def evaluate(
    frames: CrmFrames,
    *,
    as_of: date,
    stage_probabilities: Mapping[str, float] = DEFAULT_STAGE_PROBABILITIES,
    horizon_days: int = 91,
    random_state: int = 0,
) -> dict[str, Any]:
    """Return ``{"deal": ..., "repeat": ...}``: both models against their baselines (see the module docstring)."""
    return {
        "deal": evaluate_deals(frames, as_of=as_of, stage_probabilities=stage_probabilities, random_state=random_state),
        "repeat": evaluate_repeat(deals=frames.deals, as_of=as_of, horizon_days=horizon_days),
    }
