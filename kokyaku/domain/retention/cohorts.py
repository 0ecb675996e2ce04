"""Measured retention from purchases: customer lifetimes, the cohort table, the Kaplan–Meier curve.

**Lifetime.** A customer's lifetime runs from its first purchase to its last. It is **lost** when
the company's dormancy period has passed since its last purchase without another (the day
Kokyaku calls it dormant); its lifetime is then known. A customer not lost is **censored**: it is
known to have stayed at least ``tenure - dormancy`` days (tenure: first purchase to the as-of
date), the longest lifetime that could already have been seen as lost. It is *not* censored at its
last purchase: a customer who bought a month ago and never again would then be counted as
staying until that purchase, while the same customer seen later counts as lost there; the recent
losses would all read as survivors and the curve would come out too high.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from kokyaku.domain.errors import DomainError, gettext_noop
from kokyaku.domain.retention.curves import DAYS_PER_YEAR

PURCHASE_COLUMNS: tuple[str, ...] = ("account_id", "purchased_on", "amount")
LIFETIME_COLUMNS: tuple[str, ...] = (
    "first_on",
    "last_on",
    "purchase_days",
    "lifetime_days",
    "tenure_days",
    "lost",
    "observed_days",
    "revenue_12m",
)


def purchases_from_deals(deals: pd.DataFrame) -> pd.DataFrame:
    """Return the won deals as purchases: ``account_id``, ``purchased_on`` (the close date), ``amount``."""
    missing = [c for c in ("account_id", "status", "amount", "closed_on") if c not in deals.columns]
    if missing:
        raise DomainError(f"deals: missing column(s) {', '.join(missing)}")
    won = deals.loc[(deals["status"] == "won") & deals["closed_on"].notna()]
    return pd.DataFrame(
        {
            "account_id": won["account_id"].to_numpy(),
            "purchased_on": pd.to_datetime(won["closed_on"]).to_numpy(),
            "amount": won["amount"].astype(float).fillna(0.0).to_numpy(),
        }
    )


def _check_purchases(purchases: pd.DataFrame, as_of: date) -> pd.DataFrame:
    missing = [c for c in PURCHASE_COLUMNS if c not in purchases.columns]
    if missing:
        raise DomainError(f"purchases: missing column(s) {', '.join(missing)}")
    when = purchases["purchased_on"]
    if not pd.api.types.is_datetime64_dtype(when):  # to_datetime on datetimes walks every value
        when = pd.to_datetime(when)
    if bool(when.isna().any()):
        raise DomainError("purchases: every purchase needs its date (purchased_on)")
    keep = (when <= pd.Timestamp(as_of)).to_numpy()
    return purchases.loc[keep].assign(purchased_on=when.loc[keep].dt.normalize())


def customer_lifetimes(purchases: pd.DataFrame, *, as_of: date, dormancy_days: int) -> pd.DataFrame:
    """Return one row per customer who bought by ``as_of`` (index ``account_id``), columns :data:`LIFETIME_COLUMNS`.

    ``lifetime_days`` = last - first purchase; ``tenure_days`` = as-of date - first purchase;
    ``lost`` = no purchase for more than ``dormancy_days``; ``observed_days`` = the lifetime when
    lost, else ``max(tenure - dormancy, 0)`` (censored: see the module docstring);
    ``revenue_12m`` = its purchases in the 365 days up to ``as_of``. Purchases after ``as_of`` are
    ignored.
    """
    if dormancy_days < 1:
        raise DomainError.of(gettext_noop("dormancy period must be at least one day, got %(days)s"), days=dormancy_days)
    seen = _check_purchases(purchases, as_of)
    end = pd.Timestamp(as_of)
    recent = seen["purchased_on"] > end - pd.Timedelta(days=365)
    g = seen.assign(recent=seen["amount"].astype(float).where(recent, 0.0)).groupby("account_id")
    per = g.agg(first_on=("purchased_on", "min"), last_on=("purchased_on", "max"), revenue_12m=("recent", "sum"))
    per["purchase_days"] = g["purchased_on"].nunique()
    lifetime = (per["last_on"] - per["first_on"]).dt.days
    tenure = (end - per["first_on"]).dt.days
    lost = (end - per["last_on"]).dt.days > dormancy_days
    per["lifetime_days"] = lifetime
    per["tenure_days"] = tenure
    per["lost"] = lost
    per["observed_days"] = lifetime.where(lost, (tenure - dormancy_days).clip(lower=0))
    return per[list(LIFETIME_COLUMNS)]


def survival_periods(
    lifetimes: pd.DataFrame, *, periods_per_year: int, dormancy_days: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Return (whole periods survived, lost) per customer, for the shifted-beta-geometric fit.

    A loss counts only when it falls in a period that is whole before the censoring point
    (``tenure - dormancy``); a loss in the last, partial period is censored at the whole periods
    before it, so that each period's losses are all seen or none are.
    """
    period = DAYS_PER_YEAR / periods_per_year
    horizon = np.floor(np.maximum(lifetimes["tenure_days"].to_numpy(float) - dormancy_days, 0) / period)
    lived = np.floor(lifetimes["lifetime_days"].to_numpy(float) / period)
    lost = lifetimes["lost"].to_numpy(bool) & (lived < horizon)
    periods = np.where(lost, lived, horizon).astype(np.int64)
    return periods, lost


def kaplan_meier(lifetimes: pd.DataFrame, *, timeline: npt.ArrayLike | None = None, level: float = 0.95) -> pd.DataFrame:
    """Return the Kaplan–Meier survival of customer lifetime, with its pointwise interval.

    scipy's ``stats.ecdf`` on right-censored data is the Kaplan–Meier estimator (a loss and a
    censoring on the same day: the loss first). Index: days since the first purchase
    (``timeline``, default every day with a loss or a censoring); columns ``survival``, ``lower``,
    ``upper`` (the ``level`` interval, log-log transformed Greenwood; NaN where the survival is
    still 1) and ``at_risk`` (customers
    still observed at that day). Customers censored at day 0 carry no information and are left out.
    """
    # A customer censored at day 0 (its tenure is within the dormancy period) could not have been
    # seen lost yet: left in, it would sit in the risk set of the one-time buyers lost at day 0
    # and lift the curve.
    lifetimes = lifetimes.loc[lifetimes["lost"] | (lifetimes["observed_days"] > 0)]
    if lifetimes.empty:
        raise DomainError.of(gettext_noop("Kaplan–Meier: no customer has been observed long enough to be seen lost"))
    if not 0 < level < 1:
        raise DomainError(f"Kaplan–Meier: the interval level must lie between 0 and 1, got {level}")
    days = lifetimes["observed_days"].to_numpy(float)
    lost = lifetimes["lost"].to_numpy(bool)
    result = stats.ecdf(stats.CensoredData(uncensored=days[lost], right=days[~lost]))
    with warnings.catch_warnings():  # where the survival is 1 or 0 the log-log interval is undefined: NaN, as documented
        warnings.filterwarnings("ignore", message="The confidence interval is undefined", category=RuntimeWarning)
        interval = result.sf.confidence_interval(confidence_level=level, method="log-log")
    grid = np.asarray(result.sf.quantiles if timeline is None else timeline, dtype=float)
    ordered = np.sort(days)
    return pd.DataFrame(
        {
            "survival": result.sf.evaluate(grid),
            "lower": interval.low.evaluate(grid),
            "upper": interval.high.evaluate(grid),
            "at_risk": len(ordered) - np.searchsorted(ordered, grid, side="left"),
        },
        index=pd.Index(grid, name="days"),
    )


@dataclass(frozen=True)
class CohortTable:
    """Customers by the period of their first purchase (rows) and the periods after it (columns).

    ``sizes``: customers per cohort; ``active``: the share of each cohort that bought in period
    *k* after its first (column *k*; column 0 is 1.0), NaN where that period had not ended by the
    as-of date; ``counts``: the same as numbers of customers. ``freq`` is the pandas period
    frequency used ("Y", "Q", "M", or fiscal like "Y-MAR").
    """

    freq: str
    sizes: pd.Series
    active: pd.DataFrame
    counts: pd.DataFrame


def cohort_table(purchases: pd.DataFrame, *, as_of: date, freq: str = "Q") -> CohortTable:
    """Return the cohort-by-period retention table of the purchases up to ``as_of``.

    Cohorts are the calendar (or fiscal) periods of each customer's first purchase; column *k*
    counts the customers who bought in the *k*-th period after it. Only periods that ended by
    ``as_of`` are filled.
    """
    seen = _check_purchases(purchases, as_of)
    try:
        periods = seen["purchased_on"].dt.to_period(freq)
    except ValueError as exc:
        raise DomainError(f"cohort table: unknown period frequency {freq!r}") from exc
    ordinal = pd.Series(periods.array.asi8, index=seen.index)
    pairs = pd.DataFrame({"a": seen["account_id"].to_numpy(), "p": ordinal.to_numpy()}).drop_duplicates()
    first = pairs.groupby("a")["p"].transform("min")
    pairs["cohort"] = first.to_numpy()
    pairs["k"] = (pairs["p"] - pairs["cohort"]).to_numpy()
    counts = pairs.groupby(["cohort", "k"]).size().unstack("k", fill_value=0).sort_index()
    if counts.empty:
        empty = pd.DataFrame(dtype=float)
        return CohortTable(freq, pd.Series(dtype=np.int64, name="customers"), empty, empty.astype(np.int64))
    current = pd.Period(pd.Timestamp(as_of), freq)
    last_complete = current.ordinal if pd.Timestamp(as_of) >= current.end_time.normalize() else current.ordinal - 1
    cohorts = counts.index.to_numpy(np.int64)
    ks = np.arange(max(int(counts.columns.max()), last_complete - int(cohorts.min())) + 1, dtype=np.int64)
    counts = counts.reindex(columns=ks, fill_value=0)  # a period in which no cohort bought is still a column
    complete = (cohorts[:, None] + ks[None, :]) <= last_complete
    labels = [str(pd.Period(ordinal=int(o), freq=freq)) for o in cohorts]  # one per cohort: a few dozen
    sizes = pd.Series(counts[0].to_numpy(np.int64), index=pd.Index(labels, name="cohort"), name="customers")
    count_frame = pd.DataFrame(counts.to_numpy(np.int64), index=sizes.index, columns=pd.Index(ks, name="period"))
    share = count_frame.div(sizes, axis=0).where(complete)
    return CohortTable(freq=freq, sizes=sizes, active=share, counts=count_frame.where(complete).astype("Int64"))
