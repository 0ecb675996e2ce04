"""The retention page's read models: chart columns, the fallback's wording, the forecast's rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kokyaku.retention.selectors import Cohorts, Retention


def reason_text(record: Retention) -> str:
    """Why the classic curve stands in, in the reader's language ("" when the company's own curve stands)."""
    if not record.classic_stands_in:
        return ""
    if record.reason == "short_history":
        n = record.history_periods
        return ngettext(
            "Your purchases cover %(n)d whole quarter past the dormancy period; at least 3 are needed.",
            "Your purchases cover %(n)d whole quarters past the dormancy period; at least 3 are needed.",
            n,
        ) % {"n": n}
    reasons = {
        "too_few_customers": _("Fewer than 30 customers have bought so far."),
        "too_few_losses": _("Fewer than 10 customers have been lost so far: too few to measure how many leave."),
        "fit_failed": _("The model could not be fitted to your purchases."),
    }
    return reasons.get(record.reason, "")


def curve_chart(record: Retention) -> dict[str, Any]:
    """The curves side by side: classic, measured (Kaplan–Meier with its 95% band), the sBG projection."""
    s = record.series
    return {
        "years": s.years,
        "classic": s.classic,
        "model": s.model if not record.classic_stands_in else [],
        "measured": s.measured,
        "measured_low": s.measured_low,
        "measured_high": s.measured_high,
        "labels": {
            "classic": _("Classic curve (50% → 55% → 60%)"),
            "model": _("Projection for your company (shifted-beta-geometric)"),
            "measured": _("Measured (Kaplan–Meier)"),
            "band": _("Measured: %(level)s interval") % {"level": "95%"},
            "x": _("Years since the first purchase"),
            "y": _("Customers still buying"),
        },
    }


def cohort_chart(cohorts: Cohorts) -> dict[str, Any]:
    """A heatmap of the cohort table: rows the cohorts (oldest on top), columns the periods after the first."""
    return {
        "x": [f"+{k}" for k in cohorts.periods],
        "y": [f"{r.cohort} ({r.customers:,})" for r in cohorts.rows],
        "z": [[None if v is None else round(v * 100, 1) for v in r.shares] for r in cohorts.rows],
        "labels": {
            "x": _("Years after the first purchase") if cohorts.freq == "year" else _("Quarters after the first purchase"),
            "y": _("First purchase (customers)"),
            "share": _("Bought in that period"),
        },
    }


@dataclass(frozen=True)
class ForecastLine:
    years: int
    label: str
    customers: int
    remaining: float
    remaining_low: float
    remaining_high: float
    remaining_share: float
    revenue_at_stake: float
    revenue_at_stake_low: float
    revenue_at_stake_high: float
    classic_remaining: float
    classic_revenue_at_stake: float


def forecast_lines(record: Retention) -> list[ForecastLine]:
    return [
        ForecastLine(
            years=f.years,
            label=ngettext("after %(n)d year", "after %(n)d years", f.years) % {"n": f.years},
            customers=f.customers,
            remaining=f.remaining,
            remaining_low=f.remaining_low,
            remaining_high=f.remaining_high,
            remaining_share=f.remaining / f.customers if f.customers else 0.0,
            revenue_at_stake=f.revenue_at_stake,
            revenue_at_stake_low=f.revenue_at_stake_low,
            revenue_at_stake_high=f.revenue_at_stake_high,
            classic_remaining=f.classic_remaining,
            classic_revenue_at_stake=f.classic_revenue_at_stake,
        )
        for f in record.forecast
    ]
