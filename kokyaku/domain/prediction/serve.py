"""Fit the models on everything known at a date and turn their predictions into account probabilities.

The snapshot's probability per account (see ``docs/prediction.md``):

* an account with open deals gets the amount-weighted mean of its deals' model probabilities
  (source ``model``), when the deal model serves;
* an account with purchases and nothing open gets P(buys in the next period) from the
  repeat-purchase model (source ``model``) when it serves, else the quarter share (``history``);
* everything else as before: rep, stage, history, none
  (:func:`~kokyaku.domain.portfolio.measures.win_probability`).

:func:`account_probabilities` returns the two arrays ``compute_portfolio`` takes
(``model_probability``, ``repeat_probability``), with the serving rule applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio.measures import _weighted_mean_by_account, deals_as_of
from kokyaku.domain.prediction.deal_model import DealWinModel
from kokyaku.domain.prediction.features import CrmFrames, screen_leaks, view_dates
from kokyaku.domain.prediction.repeat import BetaGeoModel, rfm_summary

FloatArray = npt.NDArray[np.float64]


def train_deal_model(frames: CrmFrames, *, as_of: date, random_state: int = 0, **params: Any) -> DealWinModel:
    """Fit a :class:`DealWinModel` on every deal closed up to ``as_of`` (nothing later is read).

    ``params`` go to the estimator; features :func:`screen_leaks` flags are left out.
    """
    d = deals_as_of(frames.deals, as_of).reset_index(drop=True)
    closed = (d["status"] != "open").to_numpy()
    X = frames.features(d.loc[closed], at=view_dates(d.loc[closed], as_of=as_of, random_state=random_state), history=d)
    leaks = tuple(sorted(set(params.pop("drop_features", ())) | set(screen_leaks(d.loc[closed]))))
    model = DealWinModel(drop_features=leaks, random_state=random_state, **params)
    return model.fit(X, (d.loc[closed, "status"] == "won").to_numpy(), time=d.loc[closed, "closed_on"].to_numpy())


def score_open_deals(model: DealWinModel, frames: CrmFrames, *, as_of: date, explain: bool = True) -> pd.DataFrame:
    """Return each deal open at ``as_of`` with its probability and (``explain``) its three reasons.

    Columns ``deal_id, account_id, amount, probability`` then ``feature_1, value_1, effect_1`` ..
    ``_3`` (see :meth:`DealWinModel.explain`). Only what is dated up to ``as_of`` is read.
    """
    d = deals_as_of(frames.deals, as_of).reset_index(drop=True)
    open_ = d.loc[d["status"] == "open"]
    X = frames.features(open_, at=np.full(len(open_), np.datetime64(pd.Timestamp(as_of).date(), "D")), history=d)
    out = pd.DataFrame(
        {
            "deal_id": open_["deal_id"].to_numpy(),
            "account_id": open_["account_id"].to_numpy(),
            "amount": pd.to_numeric(open_["amount"], errors="coerce").to_numpy(dtype=float),
            "probability": model.predict_proba(X)[:, 1] if len(X) else np.empty(0),
        }
    )
    if explain:
        reasons = model.explain(X).reset_index(drop=True)
        out = pd.concat([out, reasons], axis=1)
    return out


def account_deal_probability(account_ids: npt.ArrayLike, scored: pd.DataFrame) -> FloatArray:
    """Return the amount-weighted mean deal probability per account (NaN with no scored deal)."""
    idx = pd.Index(np.asarray(account_ids))
    if not idx.is_unique:
        raise DomainError("account ids must be unique")
    if not len(scored):
        return np.full(len(idx), np.nan)
    by = _weighted_mean_by_account(scored["account_id"], scored["probability"].astype(float), scored["amount"].astype(float))
    return by.reindex(idx).to_numpy(dtype=float)


def train_repeat_model(*, deals: pd.DataFrame, as_of: date, unit_days: float = 7.0, penalizer: float = 0.0) -> BetaGeoModel:
    """Fit the BG/NBD model on every account's purchases (won deals) closed up to ``as_of``."""
    ids = np.asarray(pd.unique(deals.loc[deals["status"] == "won", "account_id"]))
    rfm = rfm_summary(ids, deals, as_of=as_of, unit_days=unit_days)
    rfm = rfm.loc[rfm["purchases"] > 0]
    return BetaGeoModel(penalizer=penalizer, unit_days=unit_days).fit(rfm["frequency"], rfm["recency"], rfm["age"])


@dataclass(frozen=True)
class AccountProbabilities:
    """What ``compute_portfolio`` takes (aligned with the account ids) and why."""

    model_probability: FloatArray  # open deals' model probability; NaN where none or not serving
    repeat_probability: FloatArray  # P(buys next period); NaN where none or not serving
    deal_serving: bool
    repeat_serving: bool


def account_probabilities(
    account_ids: npt.ArrayLike,
    *,
    deals: pd.DataFrame,
    as_of: date,
    report: Mapping[str, Any],
    scored: pd.DataFrame | None = None,
    repeat_model: BetaGeoModel | None = None,
    horizon_days: int = 91,
) -> AccountProbabilities:
    """Apply the serving rule of ``report`` (:func:`~kokyaku.domain.prediction.evaluate.evaluate`).

    ``scored`` is :func:`score_open_deals`' frame for the deal model trained as of ``as_of``. A
    model whose part of the report does not say ``"serving": "model"`` contributes nothing.
    """
    ids = np.asarray(account_ids)
    nan = np.full(len(ids), np.nan)
    deal_serving = report.get("deal", {}).get("serving") == "model"
    if deal_serving and scored is None:
        raise DomainError("the deal model serves: pass its scored open deals (score_open_deals)")
    repeat_serving = report.get("repeat", {}).get("serving") == "model"
    if repeat_serving and repeat_model is None:
        raise DomainError("the repeat-purchase model serves: pass it (train_repeat_model)")
    model_p = nan.copy()
    if deal_serving:
        assert scored is not None
        model_p = account_deal_probability(ids, scored)
    repeat_p = nan.copy()
    if repeat_serving:
        assert repeat_model is not None
        repeat_p = repeat_model.predict_next(ids, deals_as_of(deals, as_of), as_of=as_of, horizon_days=horizon_days)
    return AccountProbabilities(model_p, repeat_p, deal_serving, repeat_serving)
