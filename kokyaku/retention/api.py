"""Retention route (mounted by ``kokyaku/api/urls.py``): the page's record as JSON.

Managers only, as the page. The endpoint returns the selector's record, which the schemas below
read as it is.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kokyaku.lib.api import READ_ERRORS, Day
from kokyaku.retention import selectors
from kokyaku.users.roles import is_manager

router = Router(tags=["retention"])


class CurvePointOut(Schema):
    years: int
    classic: float
    model: float | None
    measured: float | None


class CurveSeriesOut(Schema):
    years: list[float]
    classic: list[float]
    model: list[float | None]
    measured: list[float | None]
    measured_low: list[float | None]
    measured_high: list[float | None]


class CohortRowOut(Schema):
    cohort: str
    customers: int
    shares: list[float | None]
    counts: list[int | None]


class CohortsOut(Schema):
    freq: str
    pandas_freq: str
    periods: list[int]
    rows: list[CohortRowOut]


class ForecastRowOut(Schema):
    years: int
    customers: int
    remaining: float
    remaining_low: float
    remaining_high: float
    revenue: float
    revenue_at_stake: float
    revenue_at_stake_low: float
    revenue_at_stake_high: float
    classic_remaining: float
    classic_revenue_at_stake: float


class RetentionOut(Schema):
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
    points: list[CurvePointOut]
    series: CurveSeriesOut
    yearly: CohortsOut
    quarterly: CohortsOut
    forecast: list[ForecastRowOut]
    seconds: float


@router.get("/retention", response={200: RetentionOut, **READ_ERRORS}, summary="Customer retention")
def retention(request: HttpRequest, as_of: Day | None = None) -> selectors.Retention:
    """The classic curve beside the company's measured one (Kaplan–Meier) and its projection (shifted-beta-geometric),
    the yearly and quarterly cohort tables, and the forecast of today's customers after 1, 2 and 3 years
    with the revenue at stake. ``model`` is "classic" when the history is too short (``reason`` says why).
    Managers only. ``as_of`` defaults to today."""
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers can do this."))
    return selectors.retention_report(as_of or timezone.localdate())
