"""Per-account measures from a deals frame: unit price, win probability (with its source), lifecycle.

The deals frame (one row per deal) has the columns of :data:`DEAL_COLUMNS`:

``account_id`` int, ``status`` "open" / "won" / "lost", ``amount`` float (NaN when unknown),
``probability`` float 0-100 (the rep's estimate, NaN when empty), ``stage`` str,
``opened_on`` and ``closed_on`` datetime64 (NaT while open). An open deal's expected close date
(``expected_close_on``) is no input here: it only places the deal in a period's pipeline
(:func:`~kokyaku.domain.portfolio.review.deal_probability`, ``target_forecast``), so a snapshot
rebuilt as of a past date never reads a forecast that may have been made after that date.

Every function takes the whole portfolio at once and returns arrays aligned with ``account_ids``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError

DEAL_COLUMNS: tuple[str, ...] = ("account_id", "status", "amount", "probability", "stage", "opened_on", "closed_on")
SOURCES: tuple[str, ...] = ("model", "rep", "stage", "history", "none")
LIFECYCLES: tuple[str, ...] = ("prospect", "new", "active", "dormant")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _ts(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def check_deals(deals: pd.DataFrame) -> None:
    """Raise DomainError naming the missing columns or unknown statuses."""
    missing = [c for c in DEAL_COLUMNS if c not in deals.columns]
    if missing:
        raise DomainError(f"deals: missing column(s) {', '.join(missing)}")
    bad = set(pd.unique(deals["status"].astype(object))) - {"open", "won", "lost"}
    if bad:
        raise DomainError(f"deals: unknown status value(s) {sorted(map(str, bad))}")


def deals_as_of(deals: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Return the deals as they stood at the end of ``as_of``.

    Deals opened later are dropped; a deal won or lost after ``as_of`` was still open then, so its
    status becomes "open" (this is what makes back-tests honest). A closed deal without a close
    date is taken to have closed the day it opened.
    """
    check_deals(deals)
    end = _ts(as_of)
    d = deals.loc[deals["opened_on"] <= end].copy()
    closed = d["status"] != "open"
    close_date = d["closed_on"].where(~closed | d["closed_on"].notna(), d["opened_on"])
    d["closed_on"] = close_date
    reopened = closed & (close_date > end)
    if bool(reopened.any()):
        d["status"] = d["status"].astype(object).where(~reopened, "open")
        d.loc[reopened, "closed_on"] = pd.NaT  # its later close date was not known at as_of
    return d


def _index_of(account_ids: npt.ArrayLike) -> pd.Index:
    idx: pd.Index = pd.Index(np.asarray(account_ids))
    if not idx.is_unique:
        raise DomainError("account ids must be unique")
    return idx


def unit_price(
    account_ids: npt.ArrayLike,
    deals: pd.DataFrame,
    *,
    as_of: date,
    lookback_months: int = 24,
    statuses: tuple[str, ...] = ("won", "open"),
    statistic: str = "median",
) -> FloatArray:
    """Return each account's unit price: the median amount of its won and open deals in the window.

    A won deal counts by its close date, an open deal by its open date; the window is the
    ``lookback_months`` before ``as_of`` (inclusive). Accounts with no such amount are unpriced:
    NaN, never zero. ``deals`` should already be :func:`deals_as_of`.
    """
    idx = _index_of(account_ids)
    start = _ts(as_of) - pd.DateOffset(months=lookback_months)
    when = deals["closed_on"].where(deals["status"] != "open", deals["opened_on"])
    mask = deals["status"].isin(statuses) & deals["amount"].notna() & (when > start) & (when <= _ts(as_of))
    if statistic not in ("median", "mean"):
        raise DomainError(f"unit price statistic must be 'median' or 'mean', got {statistic!r}")
    grouped = deals.loc[mask, "amount"].astype(float).groupby(deals.loc[mask, "account_id"])
    per_account = grouped.median() if statistic == "median" else grouped.mean()
    out: FloatArray = np.asarray(per_account.reindex(idx).to_numpy(), dtype=np.float64)
    return out


def _weighted_mean_by_account(account: pd.Series, value: pd.Series, weight: pd.Series) -> pd.Series:
    """Amount-weighted mean per account; a plain mean where an account's weights are all 0 / NaN."""
    w = weight.fillna(0.0).clip(lower=0.0)
    frame = pd.DataFrame({"a": account.to_numpy(), "v": value.to_numpy(), "w": w.to_numpy(), "vw": (value * w).to_numpy()})
    g = frame.groupby("a", sort=False).agg(v=("v", "mean"), w=("w", "sum"), vw=("vw", "sum"))
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = g["vw"] / g["w"]
    return weighted.where(g["w"] > 0, g["v"])


class RepurchaseRate:
    """Smoothed chance that an account buys again next period (empirical-Bayes Beta-binomial).

    ``k`` of an account's ``n`` past periods had a purchase. The raw share ``k / n`` is shrunk
    toward the team average with a Beta(alpha, beta) prior fitted to the whole portfolio by the
    method of moments, so one lucky quarter does not make a top account:
    ``p = (k + alpha) / (n + alpha + beta)``.

    Parameters
    ----------
    prior_strength : float or None
        ``alpha + beta`` in pseudo-periods; None estimates it from the spread of the rates.
    """

    def __init__(self, prior_strength: float | None = None) -> None:
        self.prior_strength = prior_strength

    def fit(self, k: npt.ArrayLike, n: npt.ArrayLike) -> Self:
        """Estimate the prior mean and strength from every account's (k, n)."""
        ka, na = self._check(k, n)
        use = na > 0
        if not bool(use.any()):
            raise DomainError("repurchase rate: no account has a past period to learn from")
        ka, na = ka[use], na[use]
        mean = float(ka.sum() / na.sum())
        if self.prior_strength is not None:
            strength = float(self.prior_strength)
            if strength <= 0:
                raise DomainError(f"prior_strength must be positive, got {strength}")
        else:
            rates = ka / na
            observed_var = float(np.average((rates - mean) ** 2, weights=na))
            binomial_var = mean * (1 - mean) * float(np.mean(1.0 / na))
            between = observed_var - binomial_var
            if between <= 1e-12 or mean in (0.0, 1.0):
                strength = 1000.0  # no real spread between accounts: trust the team average
            else:
                strength = float(np.clip(mean * (1 - mean) / between - 1.0, 0.5, 1000.0))
        self.prior_mean_ = mean
        self.prior_strength_ = strength
        self.alpha_ = mean * strength
        self.beta_ = (1 - mean) * strength
        return self

    def predict(self, k: npt.ArrayLike, n: npt.ArrayLike) -> FloatArray:
        """Return the posterior mean purchase chance per account."""
        if not hasattr(self, "alpha_"):
            raise DomainError("repurchase rate: call fit() before predict()")
        ka, na = self._check(k, n)
        out: FloatArray = (ka + self.alpha_) / (na + self.alpha_ + self.beta_)
        return out

    @staticmethod
    def _check(k: npt.ArrayLike, n: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        ka = np.asarray(k, dtype=float)
        na = np.asarray(n, dtype=float)
        if ka.shape != na.shape:
            raise DomainError("repurchase rate: k and n must have the same length")
        if bool((ka < 0).any() or (ka > na).any()):
            raise DomainError("repurchase rate: need 0 <= k <= n for every account")
        return ka, na


def purchase_periods(
    account_ids: npt.ArrayLike, deals: pd.DataFrame, *, as_of: date, period_days: int = 91, periods: int = 8
) -> tuple[IntArray, IntArray]:
    """Return (k, n) per account over the last ``periods`` periods of ``period_days`` ending at ``as_of``.

    ``n`` counts the periods since the account's first deal (it could not buy before we knew it);
    ``k`` counts those with at least one won deal closed in them. Accounts without deals get (0, 0).
    """
    idx = _index_of(account_ids)
    end = _ts(as_of)
    age_days = (end - deals["opened_on"]).dt.days
    first = age_days.groupby(deals["account_id"]).max()
    n = np.minimum(first // period_days + 1, periods).reindex(idx).fillna(0).to_numpy(dtype=np.int64)
    won = deals["status"] == "won"
    period_of = (end - deals.loc[won, "closed_on"]).dt.days // period_days
    hits = pd.DataFrame({"a": deals.loc[won, "account_id"].to_numpy(), "p": period_of.to_numpy()})
    hits = hits.loc[(hits["p"] >= 0) & (hits["p"] < periods)].drop_duplicates()
    k = hits.groupby("a").size().reindex(idx).fillna(0).to_numpy(dtype=np.int64)
    return np.minimum(k, n), n


def win_probability(
    account_ids: npt.ArrayLike,
    deals: pd.DataFrame,
    *,
    as_of: date,
    stage_probabilities: Mapping[str, float],
    model_probability: npt.ArrayLike | None = None,
    repeat_probability: npt.ArrayLike | None = None,
    period_days: int = 91,
    periods: int = 8,
    prior_strength: float | None = None,
) -> tuple[FloatArray, npt.NDArray[np.object_]]:
    """Return (probability in [0, 1], source) per account, taking the first source that applies.

    1. "model": ``model_probability`` (aligned with ``account_ids``, NaN where no prediction);
    2. "rep": the amount-weighted mean of the rep-entered probabilities of its open deals;
    3. "stage": the amount-weighted mean of ``stage_probabilities`` (percent) over its open deals
       whose stage (or ヨミ rank) is in the table;
    4. "model": ``repeat_probability`` (aligned, NaN where none), the repeat-purchase model's
       chance of a purchase next period, in place of the history measure where it has a value;
    5. "history": for an account with past deals, the smoothed share of past periods with a
       purchase (:class:`RepurchaseRate`, fitted on the whole portfolio);
    6. "none": NaN.
    ``deals`` should already be :func:`deals_as_of`.
    """
    idx = _index_of(account_ids)
    size = len(idx)
    prob = np.full(size, np.nan)
    source = np.full(size, "none", dtype=object)

    def take(candidate: FloatArray, name: str) -> None:
        fill = np.isnan(prob) & np.isfinite(candidate)
        prob[fill] = np.clip(candidate[fill], 0.0, 1.0)
        source[fill] = name

    def aligned(values: npt.ArrayLike, name: str) -> FloatArray:
        arr = np.asarray(values, dtype=float)
        if arr.shape != (size,):
            raise DomainError(f"{name} must have one value per account ({size}), got {arr.shape}")
        return arr

    if model_probability is not None:
        take(aligned(model_probability, "model probability"), "model")

    open_deals = deals.loc[deals["status"] == "open"]
    rep = open_deals.loc[open_deals["probability"].notna()]
    if len(rep):
        by_rep = _weighted_mean_by_account(
            rep["account_id"], rep["probability"].astype(float) / 100.0, rep["amount"].astype(float)
        )
        take(by_rep.reindex(idx).to_numpy(dtype=float), "rep")

    if stage_probabilities and len(open_deals):
        table = {str(k): float(v) / 100.0 for k, v in stage_probabilities.items()}
        stage_p = open_deals["stage"].astype(object).map(table)
        staged = open_deals.loc[stage_p.notna()]
        if len(staged):
            by_stage = _weighted_mean_by_account(
                staged["account_id"], stage_p.loc[staged.index].astype(float), staged["amount"].astype(float)
            )
            take(by_stage.reindex(idx).to_numpy(dtype=float), "stage")

    if repeat_probability is not None:
        take(aligned(repeat_probability, "repeat-purchase probability"), "model")

    closed = deals.loc[deals["status"] != "open"]
    if len(closed):
        k, n = purchase_periods(idx, closed, as_of=as_of, period_days=period_days, periods=periods)
        has_history = n > 0
        if bool(has_history.any()):
            model_h = RepurchaseRate(prior_strength).fit(k[has_history], n[has_history])
            hist = np.full(size, np.nan)
            hist[has_history] = model_h.predict(k[has_history], n[has_history])
            take(hist, "history")
    return prob, source


def lifecycle(
    account_ids: npt.ArrayLike,
    deals: pd.DataFrame,
    *,
    as_of: date,
    dormancy_days: int = 365,
    new_days: int = 365,
) -> npt.NDArray[np.object_]:
    """Return each account's lifecycle stage at ``as_of``, in this order of precedence.

    "prospect": never won a deal; "dormant": no won deal for ``dormancy_days`` and nothing open;
    "new": first win within ``new_days``; "active": everything else.
    ``deals`` should already be :func:`deals_as_of`.
    """
    if dormancy_days < 1:
        raise DomainError(f"dormancy period must be at least one day, got {dormancy_days}")
    idx = _index_of(account_ids)
    end = _ts(as_of)
    won = deals.loc[deals["status"] == "won"]
    dates = won["closed_on"].groupby(won["account_id"]).agg(["min", "max"]).reindex(idx)
    has_open = pd.Series(True, index=pd.Index(pd.unique(deals.loc[deals["status"] == "open", "account_id"]))).reindex(idx)
    has_open_arr = has_open.fillna(False).to_numpy(dtype=bool)
    first_age = (end - dates["min"]).dt.days.to_numpy(dtype=float)
    last_age = (end - dates["max"]).dt.days.to_numpy(dtype=float)
    out = np.full(len(idx), "active", dtype=object)
    out[first_age <= new_days] = "new"
    out[(last_age > dormancy_days) & ~has_open_arr] = "dormant"
    out[np.isnan(first_age)] = "prospect"
    return out
