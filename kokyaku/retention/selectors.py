"""The company's retention as of a day, as a typed record: read the purchases in bulk, measure, cache.

A purchase is a won deal (the purchases import writes one per invoice): its account, its closed
date and its amount. :func:`retention_report` reads them all in one query (COPY on PostgreSQL,
:func:`kokyaku.lib.bulk.read_frame`), hands them to the domain's
:func:`~kokyaku.domain.retention.measure_retention` and turns its frames into the records below,
which the page, the API and ``kokyaku retention`` show as they are.

**Cache.** Measuring takes about a second at 100,000 accounts (the sBG fit and its bootstrap),
so the record is kept in Django's cache, keyed by the as-of day, the company settings it depends
on and a fingerprint of the purchases up to that day (their count, sum and latest date: one
aggregate over the won-deal index, the amounts converted at the company's rates). An import or an
edit that changes any of them (or a changed rate) measures afresh; anything else (an account moved
to another owner, say) shows within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection

from kokyaku.crm.models import CompanySettings
from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.domain.retention import DAYS_PER_YEAR, CohortTable, RetentionReport, classic_survival, measure_retention
from kokyaku.lib.bulk import fetch, read_frame
from kokyaku.lib.currency import converted_sql
from kokyaku.portfolio.periods import fiscal_year_of

CACHE_SECONDS = 15 * 60
CACHE_VERSION = 1
# The forecast's parametric bootstrap: 1,000 draws take half the time of the domain's default 2,000, and at
# 100,000 demo accounts moved the 90% interval's ends by under 0.4% (benchmarks/retention_page.py; docs/retention.md).
FORECAST_DRAWS = 1000
CURVE_STEPS_PER_YEAR = 12  # the chart's curves: one point a month
CURVE_YEARS = 3
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class CurvePoint:
    """Survival after ``years`` whole years: the classic curve, the sBG projection, the measured one (or None)."""

    years: int
    classic: float
    model: float | None  # None when the classic curve stands in
    measured: float | None  # Kaplan–Meier; None beyond the history


@dataclass(frozen=True)
class CurveSeries:
    """The three curves a month apart from 0 to 3 years, for the chart; None where a curve has no value."""

    years: list[float]
    classic: list[float]
    model: list[float | None]
    measured: list[float | None]
    measured_low: list[float | None]
    measured_high: list[float | None]


@dataclass(frozen=True)
class CohortRow:
    """One cohort (customers by the period of their first purchase) and its share buying in each later period."""

    cohort: str
    customers: int
    shares: list[float | None]  # period k after the first; None where the period had not ended
    counts: list[int | None]


@dataclass(frozen=True)
class Cohorts:
    """A cohort-by-period table: ``freq`` "year" or "quarter" and the pandas frequency behind it."""

    freq: str
    pandas_freq: str
    periods: list[int]
    rows: list[CohortRow]


@dataclass(frozen=True)
class ForecastRow:
    """Today's customers after ``years``: expected remaining and revenue at stake, with the interval; and the classic curve's."""

    years: int
    customers: int
    remaining: float
    remaining_low: float
    remaining_high: float
    revenue: float  # their purchases of the last 12 months, in the company currency
    revenue_at_stake: float
    revenue_at_stake_low: float
    revenue_at_stake_high: float
    classic_remaining: float
    classic_revenue_at_stake: float


@dataclass(frozen=True)
class Retention:
    """The company's retention as of a day (docs/retention.md).

    ``model`` "sbg" (the shifted-beta-geometric fit stands) or "classic" (it stands in);
    ``reason`` one of :data:`kokyaku.domain.retention.REASONS`. ``level`` is the forecast's
    interval (0.9). ``seconds``: how long the measurement took when it was made (a cached record
    keeps it).
    """

    as_of: date
    dormancy_days: int
    periods_per_year: int
    currency: str
    purchases: int
    customers: int
    lost: int
    history_periods: int
    model: str
    reason: str
    alpha: float | None
    beta: float | None
    level: float
    points: list[CurvePoint]
    series: CurveSeries
    yearly: Cohorts
    quarterly: Cohorts
    forecast: list[ForecastRow]
    seconds: float

    @property
    def classic_stands_in(self) -> bool:
        return self.model == "classic"


def cohort_freqs(fiscal_year_start_month: int) -> tuple[str, str]:
    """The pandas frequencies of the company's (fiscal) years and quarters: April -> ("Y-MAR", "Q-MAR")."""
    last = MONTHS[(fiscal_year_start_month - 2) % 12]
    return f"Y-{last}", f"Q-{last}"


def _fingerprint(as_of: date, currency: str, rates: Mapping[str, Decimal]) -> tuple[int, str, str]:
    """Count, sum (converted) and latest date of the won deals up to ``as_of``: one aggregate on the won-deal index.

    The sum is in the company currency at today's rates, so a changed rate measures afresh.
    """
    amount, params = converted_sql(rates, currency, unrated="0")
    row = fetch(
        f"SELECT COUNT(*), SUM({amount}), MAX(closed_on) FROM crm_deal WHERE status = 'won' AND closed_on <= %s",  # noqa: S608 - fixed SQL, values are bound
        [*params, as_of],
    )[0]
    return int(row[0]), str(row[1]), str(row[2])


def load_purchases(as_of: date, currency: str, rates: Mapping[str, Decimal] | None = None) -> pd.DataFrame:
    """The won deals closed up to ``as_of`` as the domain's purchases: ``account_id, purchased_on, amount``.

    One query. Amounts are in the company currency ``currency``: a deal in a currency of ``rates``
    (``crm.selectors.conversion_rates``) is converted; one in a currency without a rate counts as a
    purchase with no revenue (the revenue at stake is in the company currency).
    """
    # The date as a day number: SQLite's driver would otherwise make a datetime.date of every row (1.5 s at 150,000).
    day = (
        "(closed_on - DATE '1970-01-01')"
        if connection.vendor == "postgresql"
        else "CAST(julianday(closed_on) - 2440587.5 AS INTEGER)"
    )
    amount, params = converted_sql(rates or {}, currency, unrated="0")
    frame = read_frame(
        f"SELECT account_id, {day}, {amount} "  # noqa: S608 - fixed SQL, values are bound
        "FROM crm_deal WHERE status = 'won' AND closed_on <= %s",
        [*params, as_of],
        ["account_id", "purchased_on", "amount"],
    )
    days = pd.to_numeric(frame["purchased_on"]).to_numpy(np.int64)
    return pd.DataFrame(
        {
            "account_id": pd.to_numeric(frame["account_id"]).astype(np.int64),
            "purchased_on": pd.to_datetime(days.astype("datetime64[D]").astype("datetime64[ns]")),
            "amount": pd.to_numeric(frame["amount"], errors="coerce").astype(float).fillna(0.0),
        }
    )


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def cohort_label(label: str, freq: str, start_month: int) -> str:
    """A cohort's name as the targets pages name fiscal periods (by the year the fiscal year starts in).

    pandas names a fiscal period by the year it ends in ("2027Q3" for October 2026 when the year
    starts in April); Japanese companies name it by the year it starts in: FY2026-Q3 (2026年度).
    """
    period = pd.Period(label, freq=freq)
    fiscal_year = fiscal_year_of(period.start_time.date(), start_month)
    return f"FY{fiscal_year}" if freq.startswith("Y") else f"FY{fiscal_year}-Q{period.quarter}"


def _cohorts(table: CohortTable, name: str, start_month: int) -> Cohorts:
    periods = [int(k) for k in table.active.columns]
    shares = table.active.to_numpy(float) if periods else np.empty((0, 0))
    counts = table.counts.to_numpy(dtype=float, na_value=np.nan) if periods else np.empty((0, 0))
    rows = [
        CohortRow(
            cohort=cohort_label(str(cohort), table.freq, start_month),
            customers=int(size),
            shares=[_number(v) for v in shares[i]],
            counts=[None if math.isnan(v) else int(v) for v in counts[i]],
        )
        for i, (cohort, size) in enumerate(table.sizes.items())
    ]
    return Cohorts(freq=name, pandas_freq=table.freq, periods=periods, rows=rows)


def _series(report: RetentionReport) -> CurveSeries:
    grid = np.arange(CURVE_YEARS * CURVE_STEPS_PER_YEAR + 1) / CURVE_STEPS_PER_YEAR
    model = report.sbg.survival(grid * report.periods_per_year) if report.sbg is not None else np.full(len(grid), np.nan)
    km = report.kaplan_meier
    measured = low = high = np.full(len(grid), np.nan)
    if len(km):
        days = km.index.to_numpy(float)
        at = grid * DAYS_PER_YEAR
        pos = np.maximum(np.searchsorted(days, at, side="right") - 1, 0)
        seen = at <= days.max()
        measured, low, high = (np.where(seen, km[c].to_numpy(float)[pos], np.nan) for c in ("survival", "lower", "upper"))
        measured[0] = 1.0
    return CurveSeries(
        years=[round(float(y), 4) for y in grid],
        classic=[float(v) for v in classic_survival(grid)],
        model=[_number(v) for v in model],
        measured=[_number(v) for v in measured],
        measured_low=[_number(v) for v in low],
        measured_high=[_number(v) for v in high],
    )


def _record(
    report: RetentionReport, *, purchases: int, currency: str, start_month: int, level: float, seconds: float
) -> Retention:
    curves = report.curves
    classic, model, measured = (curves[c].to_numpy(float) for c in ("classic", "model", "kaplan_meier"))
    points = [
        CurvePoint(years=int(y), classic=float(classic[i]), model=_number(model[i]), measured=_number(measured[i]))
        for i, y in enumerate(curves.index.to_numpy(np.int64))
    ]
    forecast = [
        ForecastRow(
            years=int(y),
            customers=int(f["customers"]),
            remaining=float(f["remaining"]),
            remaining_low=float(f["remaining_low"]),
            remaining_high=float(f["remaining_high"]),
            revenue=float(f["revenue"]),
            revenue_at_stake=float(f["revenue_at_stake"]),
            revenue_at_stake_low=float(f["revenue_at_stake_low"]),
            revenue_at_stake_high=float(f["revenue_at_stake_high"]),
            classic_remaining=float(c["remaining"]),
            classic_revenue_at_stake=float(c["revenue_at_stake"]),
        )
        for y, f, c in zip(
            report.forecast.index.to_numpy(np.int64),
            report.forecast.to_dict("records"),
            report.forecast_classic.to_dict("records"),
            strict=True,
        )
    ]
    return Retention(
        as_of=report.as_of,
        dormancy_days=report.dormancy_days,
        periods_per_year=report.periods_per_year,
        currency=currency,
        purchases=purchases,
        customers=report.customers,
        lost=report.lost,
        history_periods=report.history_periods,
        model=report.model,
        reason=report.reason,
        alpha=None if report.sbg is None else float(report.sbg.alpha_),
        beta=None if report.sbg is None else float(report.sbg.beta_),
        level=level,
        points=points,
        series=_series(report),
        yearly=_cohorts(report.cohorts_yearly, "year", start_month),
        quarterly=_cohorts(report.cohorts_quarterly, "quarter", start_month),
        forecast=forecast,
        seconds=round(seconds, 3),
    )


def measure(
    as_of: date, *, level: float = 0.9, company: CompanySettings | None = None, rates: Mapping[str, Decimal] | None = None
) -> Retention:
    """Measure the company's retention as of ``as_of``, uncached: 3 queries (settings, rates, purchases), one if given both."""
    started = time.perf_counter()
    company = company or company_settings()
    start_month = int(company.fiscal_year_start_month)
    year_freq, quarter_freq = cohort_freqs(start_month)
    purchases = load_purchases(as_of, company.currency, conversion_rates() if rates is None else rates)
    report = measure_retention(
        purchases,
        as_of=as_of,
        dormancy_days=int(company.dormancy_days),
        year_freq=year_freq,
        quarter_freq=quarter_freq,
        level=level,
        n_draws=FORECAST_DRAWS,
    )
    return _record(
        report,
        purchases=len(purchases),
        currency=company.currency,
        start_month=start_month,
        level=level,
        seconds=time.perf_counter() - started,
    )


def retention_report(as_of: date) -> Retention:
    """The company's retention as of ``as_of``, from the cache when the purchases have not changed.

    Three queries on a hit (settings, conversion rates, fingerprint), four on a miss.
    """
    company = company_settings()
    rates = conversion_rates()
    key = ":".join(
        str(part)
        for part in (
            "kokyaku-retention",
            CACHE_VERSION,
            connection.vendor,
            as_of.isoformat(),
            company.dormancy_days,
            company.fiscal_year_start_month,
            company.currency,
            *_fingerprint(as_of, company.currency, rates),
        )
    )
    cached = cache.get(key)
    if isinstance(cached, Retention):
        return cached
    record = measure(as_of, company=company, rates=rates)
    cache.set(key, record, CACHE_SECONDS)
    return record
