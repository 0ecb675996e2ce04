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
from dataclasses import dataclass
from datetime import date
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.days import day_number, day_numbers
from kokyaku.domain.errors import DomainError, gettext_noop

DEAL_COLUMNS: tuple[str, ...] = ("account_id", "status", "amount", "probability", "stage", "opened_on", "closed_on")
SOURCES: tuple[str, ...] = ("model", "rep", "stage", "history", "none")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
LIFECYCLES: tuple[str, ...] = ("prospect", "new", "active", "at_risk", "dormant", "churned")
CHURN_COLUMNS: tuple[str, ...] = ("account_id", "churned_on")
_DAY_BITS = 20  # a day offset below 2**20 (2,870 years) packs beside the account position in one int64


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
            raise DomainError.of(gettext_noop("repurchase rate: no account has a past period to learn from"))
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


@dataclass(frozen=True)
class PurchaseRhythm:
    """Per account (aligned with the ids given): its purchase days and its usual interval.

    Days are whole days since 1970-01-01 as floats, NaN for an account that never bought.
    ``median_gap`` is the median number of days between consecutive purchase days (several
    purchases on one day count once), NaN with fewer than two purchase days; ``intervals`` is how
    many such gaps it has (purchase days - 1).
    """

    first: FloatArray
    last: FloatArray
    median_gap: FloatArray
    intervals: IntArray


def purchase_rhythm(account_ids: npt.ArrayLike, deals: pd.DataFrame) -> PurchaseRhythm:
    """Return each account's first and last purchase day and its median gap between purchase days.

    A purchase is a won deal, dated by its close date. Vectorised: two sorts of packed
    (account, day) integers, no group-by; won deals of accounts not in ``account_ids`` are ignored.
    """
    idx = _index_of(account_ids)
    size = len(idx)
    won = deals.loc[deals["status"] == "won", ["account_id", "closed_on"]]
    pos = idx.get_indexer(pd.Index(won["account_id"]))
    day_f = day_numbers(won["closed_on"])
    keep = (pos >= 0) & np.isfinite(day_f)
    pos, day = pos[keep].astype(np.int64), day_f[keep].astype(np.int64)
    first = np.full(size, np.nan)
    last = np.full(size, np.nan)
    median_gap = np.full(size, np.nan)
    intervals = np.zeros(size, dtype=np.int64)
    if len(pos) == 0:
        return PurchaseRhythm(first, last, median_gap, intervals)
    base = int(day.min())
    offset = day - base
    if int(offset.max()) >= 1 << _DAY_BITS:
        raise DomainError("purchase dates span more than 2,870 years")
    key = np.sort((pos << _DAY_BITS) | offset)  # by account then day (np.unique hashes: 10x slower here)
    key = key[np.r_[True, key[1:] != key[:-1]]]  # one entry per purchase day
    p = key >> _DAY_BITS
    d = (key & ((1 << _DAY_BITS) - 1)) + base
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    ends = np.r_[starts[1:], len(p)] - 1
    first[p[starts]] = d[starts]
    last[p[ends]] = d[ends]
    same = p[1:] == p[:-1]
    if bool(same.any()):
        gp = p[1:][same]
        gap = (d[1:] - d[:-1])[same]
        sorted_gaps = np.sort((gp << _DAY_BITS) | gap)  # gaps sorted within each account
        gp = sorted_gaps >> _DAY_BITS
        gap = sorted_gaps & ((1 << _DAY_BITS) - 1)
        g_starts = np.flatnonzero(np.r_[True, gp[1:] != gp[:-1]])
        counts = np.diff(np.r_[g_starts, len(gp)])
        lo = gap[g_starts + (counts - 1) // 2]
        hi = gap[g_starts + counts // 2]
        median_gap[gp[g_starts]] = (lo + hi) / 2.0
        intervals[gp[g_starts]] = counts
    return PurchaseRhythm(first, last, median_gap, intervals)


def lifecycle(
    account_ids: npt.ArrayLike,
    deals: pd.DataFrame,
    *,
    as_of: date,
    dormancy_days: int = 365,
    new_days: int = 365,
    at_risk_factor: float | None = 2.0,
    min_intervals: int = 2,
    at_risk_share: float = 0.5,
    p_alive: npt.ArrayLike | None = None,
    p_alive_threshold: float = 0.5,
    churned: pd.DataFrame | None = None,
) -> npt.NDArray[np.object_]:
    """Return each account's lifecycle stage at ``as_of``: the first of these that applies.

    1. "churned" (離反): ``churned`` (columns :data:`CHURN_COLUMNS`, one row per recorded departure)
       holds a departure dated on or before ``as_of``, and the account has not bought since it.
       Only ever this explicit record: never inferred from purchases;
    2. "prospect": never won a deal;
    3. "dormant" (休眠): no won deal for more than ``dormancy_days`` and nothing open;
    4. "at_risk" (休眠間近): nothing open, and either ``p_alive`` (a repeat-purchase model's chance
       that the customer is still active, NaN where it has none) is below ``p_alive_threshold``,
       or, for accounts without a ``p_alive``, the days since its last purchase exceed both
       ``at_risk_factor`` × its own median gap between purchase days (counted over at least
       ``min_intervals`` gaps) and ``at_risk_share`` × the dormancy period
       (``at_risk_factor=None`` turns this rule off). The second bound keeps a weekly buyer three
       weeks quiet out of the queue: on the UCI Online Retail back-test such accounts bought again
       as often as active ones (docs/retention.md);
    5. "new": first win within ``new_days``;
    6. "active": everything else.

    ``deals`` should already be :func:`deals_as_of`.
    """
    if dormancy_days < 1:
        raise DomainError.of(gettext_noop("dormancy period must be at least one day, got %(days)s"), days=dormancy_days)
    if at_risk_factor is not None and at_risk_factor < 1:
        raise DomainError.of(
            gettext_noop("at-risk factor must be at least 1 (times the usual gap), got %(factor)s"), factor=at_risk_factor
        )
    if not 0 <= at_risk_share <= 1:
        raise DomainError.of(
            gettext_noop("at-risk share of the dormancy period must lie between 0 and 1, got %(share)s"), share=at_risk_share
        )
    if not 0 < p_alive_threshold < 1:
        raise DomainError.of(
            gettext_noop("P(alive) threshold must lie between 0 and 1, got %(threshold)s"), threshold=p_alive_threshold
        )
    idx = _index_of(account_ids)
    size = len(idx)
    today = day_number(as_of)
    rhythm = purchase_rhythm(idx, deals)
    has_open = np.zeros(size, dtype=bool)
    open_pos = idx.get_indexer(pd.Index(deals.loc[deals["status"] == "open", "account_id"]))
    has_open[open_pos[open_pos >= 0]] = True
    with np.errstate(invalid="ignore"):
        since_last = today - rhythm.last
        since_first = today - rhythm.first
        idle = ~has_open
        at_risk = np.zeros(size, dtype=bool)
        if at_risk_factor is not None:
            at_risk = (
                idle
                & (rhythm.intervals >= min_intervals)
                & (since_last > at_risk_factor * rhythm.median_gap)
                & (since_last > at_risk_share * dormancy_days)
            )
        if p_alive is not None:
            alive = np.asarray(p_alive, dtype=float)
            if alive.shape != (size,):
                raise DomainError(f"P(alive) must have one value per account ({size}), got {alive.shape}")
            modelled = np.isfinite(alive)
            at_risk = np.where(modelled, idle & (alive < p_alive_threshold), at_risk)
        out = np.full(size, "active", dtype=object)
        out[since_first <= new_days] = "new"
        out[at_risk] = "at_risk"
        out[(since_last > dormancy_days) & idle] = "dormant"
    out[np.isnan(rhythm.first)] = "prospect"
    if churned is not None:
        out[_churned(idx, churned, as_of=as_of, last=rhythm.last)] = "churned"
    return out


def _churned(idx: pd.Index, churned: pd.DataFrame, *, as_of: date, last: FloatArray) -> npt.NDArray[np.bool_]:
    """Accounts with a recorded departure on or before ``as_of`` and no purchase after it."""
    missing = [c for c in CHURN_COLUMNS if c not in churned.columns]
    if missing:
        raise DomainError(f"churned: missing column(s) {', '.join(missing)}")
    when = pd.to_datetime(churned["churned_on"])
    if bool(when.isna().any()):
        raise DomainError("churned: every departure needs its date (churned_on)")
    recorded = churned.loc[(when <= _ts(as_of)).to_numpy()]
    latest = day_numbers(recorded["churned_on"])
    day = np.full(len(idx), np.nan)
    pos = idx.get_indexer(pd.Index(recorded["account_id"]))
    order = np.argsort(latest, kind="stable")  # the latest departure of an account is written last and wins
    pos, latest = pos[order], latest[order]
    day[pos[pos >= 0]] = latest[pos >= 0]
    with np.errstate(invalid="ignore"):
        bought_since = last > day
    out: npt.NDArray[np.bool_] = np.isfinite(day) & ~bought_since
    return out
