"""How many of today's customers remain after 1, 2, 3 years, and the whole retention report.

:func:`measure_retention` is the one call a page, command or API makes: the classic curve, the
company's cohort tables and Kaplan–Meier curve, the shifted-beta-geometric fit (or the classic
curve standing in, with the reason), and the forecast with its interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError
from kokyaku.domain.retention.cohorts import CohortTable, cohort_table, customer_lifetimes, kaplan_meier, survival_periods
from kokyaku.domain.retention.curves import (
    DAYS_PER_YEAR,
    ClassicRetention,
    RetentionCurve,
    ShiftedBetaGeometric,
    classic_survival,
)

FORECAST_COLUMNS: tuple[str, ...] = (
    "customers",
    "remaining",
    "remaining_low",
    "remaining_high",
    "revenue",
    "revenue_at_stake",
    "revenue_at_stake_low",
    "revenue_at_stake_high",
)
REASONS: tuple[str, ...] = ("fitted", "short_history", "too_few_customers", "too_few_losses", "fit_failed")


def retention_forecast(
    tenure_days: npt.ArrayLike,
    revenue: npt.ArrayLike,
    *,
    curve: RetentionCurve,
    years: tuple[int, ...] = (1, 2, 3),
    n_draws: int = 2000,
    level: float = 0.9,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Forecast how many of these customers remain after each of ``years``, and the revenue at stake.

    Each customer with tenure τ stays ``k`` years more with probability ``S(τ + k) / S(τ)`` (so a
    long-standing customer, already past the early losses, is likelier to stay: the curve rises
    with tenure). ``remaining`` is the expected count; ``revenue_at_stake`` the ``revenue`` (e.g.
    the last 12 months' purchases) of the customers expected to be gone. The ``level`` interval
    combines the curve's uncertainty (``curve.survival_draws``: a parametric bootstrap for a
    fitted sBG) with the chance in who leaves (normal approximation of the sum of Bernoulli
    draws). Index: ``years``; columns :data:`FORECAST_COLUMNS`.
    """
    tenure = np.asarray(tenure_days, dtype=float)
    rev = np.asarray(revenue, dtype=float)
    if tenure.shape != rev.shape or tenure.ndim != 1:
        raise DomainError("forecast: tenure and revenue must be one-dimensional and of the same length")
    if bool((tenure < 0).any()) or not bool(np.isfinite(tenure).all()):
        raise DomainError("forecast: tenures must be finite and not negative")
    if not 0 < level < 1:
        raise DomainError(f"forecast: the interval level must lie between 0 and 1, got {level}")
    rev = np.nan_to_num(rev)
    # Customers of the same tenure (whole days, in practice) share their chances: sum them first.
    days, group = np.unique(tenure, return_inverse=True)
    n_g = np.bincount(group, minlength=len(days)).astype(float)
    r_g = np.bincount(group, weights=rev, minlength=len(days))
    r2_g = np.bincount(group, weights=rev**2, minlength=len(days))
    per_year = curve.periods_per_year
    t_now = days / DAYS_PER_YEAR * per_year
    t_all = np.concatenate([t_now] + [t_now + k * per_year for k in years])
    draws = curve.survival_draws(t_all, n_draws, random_state)  # (n_draws, groups × (1 + len(years)))
    draws = draws.reshape(n_draws, 1 + len(years), len(days))
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = np.clip(draws[:, 1:, :] / draws[:, :1, :], 0.0, 1.0)  # (draws, years, groups)
    keep = np.nan_to_num(keep)
    rng = np.random.default_rng(random_state)
    stay_mean = (keep * n_g).sum(axis=2)
    stay_var = (keep * (1 - keep) * n_g).sum(axis=2)
    lost_rev_mean = ((1 - keep) * r_g).sum(axis=2)
    lost_rev_var = (keep * (1 - keep) * r2_g).sum(axis=2)
    stay = np.clip(stay_mean + rng.standard_normal(stay_mean.shape) * np.sqrt(stay_var), 0, n_g.sum())
    lost_rev = np.clip(lost_rev_mean + rng.standard_normal(lost_rev_mean.shape) * np.sqrt(lost_rev_var), 0, r_g.sum())
    point = curve.survival(t_all).reshape(1 + len(years), len(days))
    with np.errstate(invalid="ignore", divide="ignore"):
        keep_point = np.nan_to_num(np.clip(point[1:] / point[:1], 0.0, 1.0))
    tail = (1 - level) / 2
    out = pd.DataFrame(
        {
            "customers": int(n_g.sum()),
            "remaining": (keep_point * n_g).sum(axis=1),
            "remaining_low": np.quantile(stay, tail, axis=0),
            "remaining_high": np.quantile(stay, 1 - tail, axis=0),
            "revenue": float(r_g.sum()),
            "revenue_at_stake": ((1 - keep_point) * r_g).sum(axis=1),
            "revenue_at_stake_low": np.quantile(lost_rev, tail, axis=0),
            "revenue_at_stake_high": np.quantile(lost_rev, 1 - tail, axis=0),
        },
        index=pd.Index(list(years), name="years"),
        columns=list(FORECAST_COLUMNS),
    )
    return out


@dataclass(frozen=True)
class RetentionReport:
    """The company's retention beside the classic curve, and the forecast.

    ``model`` is "sbg" when the shifted-beta-geometric fit is used, "classic" when the classic
    curve stands in; ``reason`` says why (:data:`REASONS`: "fitted", or what was missing).
    ``curves`` (index: years 0, 1, 2, 3) holds ``classic`` (1, 0.5, 0.275, 0.165), ``model`` (the
    sBG's projection, NaN without a fit) and ``kaplan_meier`` (measured; NaN beyond the history);
    ``retention_rates`` the same as year-on-year rates (years 1-3). ``forecast`` uses the model
    that stands, ``forecast_classic`` the classic curve, for the same customers.
    """

    as_of: date
    dormancy_days: int
    periods_per_year: int
    model: str
    reason: str
    sbg: ShiftedBetaGeometric | None
    customers: int
    lost: int
    history_periods: int
    curves: pd.DataFrame
    retention_rates: pd.DataFrame
    kaplan_meier: pd.DataFrame
    cohorts_yearly: CohortTable
    cohorts_quarterly: CohortTable
    forecast: pd.DataFrame
    forecast_classic: pd.DataFrame


def measure_retention(
    purchases: pd.DataFrame,
    *,
    as_of: date,
    dormancy_days: int,
    periods_per_year: int = 4,
    min_periods: int = 3,
    min_customers: int = 30,
    min_losses: int = 10,
    active_ids: npt.ArrayLike | None = None,
    year_freq: str = "Y",
    quarter_freq: str = "Q",
    n_draws: int = 2000,
    level: float = 0.9,
    random_state: int | None = 0,
) -> RetentionReport:
    """Measure the company's retention from its purchases up to ``as_of`` and forecast it.

    Lifetimes follow :func:`~kokyaku.domain.retention.cohorts.customer_lifetimes` (lost after
    ``dormancy_days`` without a purchase). The sBG is fitted in periods of ``12 / periods_per_year``
    months (default quarters: three whole quarters past the dormancy period suffice, where yearly
    periods would need three whole years) and projected to years. It stands only when the
    history covers at least ``min_periods`` whole periods, there are ``min_customers`` customers
    and ``min_losses`` losses, and the fit succeeds; otherwise the classic curve stands in and
    ``reason`` says why. The forecast covers ``active_ids`` (default: every customer not lost),
    with their last 12 months' revenue at stake.
    """
    lifetimes = customer_lifetimes(purchases, as_of=as_of, dormancy_days=dormancy_days)
    periods, lost = survival_periods(lifetimes, periods_per_year=periods_per_year, dormancy_days=dormancy_days)
    history = int(periods.max()) if len(periods) else 0
    sbg: ShiftedBetaGeometric | None = None
    if history < min_periods:
        reason = "short_history"
    elif len(lifetimes) < min_customers:
        reason = "too_few_customers"
    elif int(lost.sum()) < min_losses:
        reason = "too_few_losses"
    else:
        try:
            sbg = ShiftedBetaGeometric(periods_per_year=periods_per_year).fit(periods, lost)
            reason = "fitted"
        except DomainError:
            reason = "fit_failed"
    curve: RetentionCurve = sbg if sbg is not None else ClassicRetention()

    years = np.arange(4, dtype=float)
    observable = bool((lifetimes["lost"] | (lifetimes["observed_days"] > 0)).any())
    km = kaplan_meier(lifetimes) if observable else pd.DataFrame(columns=["survival", "lower", "upper", "at_risk"])
    km_years = np.full(4, np.nan)
    if len(km):  # a step function: the survival at day d is the last value at or before d, known up to the last day seen
        days = km.index.to_numpy(float)
        pos = np.searchsorted(days, years * DAYS_PER_YEAR, side="right") - 1
        km_years = np.where(years * DAYS_PER_YEAR <= days.max(), km["survival"].to_numpy(float)[np.maximum(pos, 0)], np.nan)
        km_years[0] = 1.0  # every customer was one on the day of its first purchase (one-time buyers leave right after)
    model_years = sbg.survival(years * periods_per_year) if sbg is not None else np.full(4, np.nan)
    curves = pd.DataFrame(
        {"classic": classic_survival(years), "model": model_years, "kaplan_meier": km_years},
        index=pd.Index(years.astype(int), name="years"),
    )
    rates = (curves / curves.shift(1)).iloc[1:]

    if active_ids is None:
        active = lifetimes.loc[~lifetimes["lost"]]
    else:
        active = lifetimes.reindex(pd.Index(np.asarray(active_ids))).dropna(subset=["tenure_days"])
    tenure = active["tenure_days"].to_numpy(float)
    revenue = active["revenue_12m"].to_numpy(float)
    forecast = retention_forecast(tenure, revenue, curve=curve, n_draws=n_draws, level=level, random_state=random_state)
    forecast_classic = retention_forecast(
        tenure, revenue, curve=ClassicRetention(), n_draws=n_draws, level=level, random_state=random_state
    )
    return RetentionReport(
        as_of=as_of,
        dormancy_days=dormancy_days,
        periods_per_year=periods_per_year,
        model="sbg" if sbg is not None else "classic",
        reason=reason,
        sbg=sbg,
        customers=len(lifetimes),
        lost=int(lifetimes["lost"].sum()),
        history_periods=history,
        curves=curves,
        retention_rates=rates,
        kaplan_meier=km,
        cohorts_yearly=cohort_table(purchases, as_of=as_of, freq=year_freq),
        cohorts_quarterly=cohort_table(purchases, as_of=as_of, freq=quarter_freq),
        forecast=forecast,
        forecast_classic=forecast_classic,
    )
