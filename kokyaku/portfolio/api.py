"""Portfolio routes: snapshots, rows, matrix, migration, effort vs return, targets (mounted by ``kokyaku/api/urls.py``).

Same permission model as the pages: every role reads the whole team's portfolio; computing a
snapshot and setting targets are for managers (the services check it). Endpoints stay thin:
parse, call one selector or service, return its typed records, which the schemas below read as
they are (the pages read the same records).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import WithJsonSchema

from kokyaku.crm import selectors as crm_selectors
from kokyaku.crm import services as crm_services
from kokyaku.lib.api import MAX_ID, ONE_ERRORS, WRITE_ERRORS, Day, ErrorOut, bad_parameter
from kokyaku.portfolio import selectors, services
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.periods import Period, period_parse

READ_ERRORS = ONE_ERRORS
TAGS = ["portfolio"]
router = Router(tags=TAGS)
ZoneParam = Literal["A", "B", "C", "none"]
BandParam = Literal["high", "mid", "low"]
# A snapshot by id, or "latest" (the latest as-of date): the document lists exactly these two forms (issue 15).
# Read as text and parsed by _snapshot, so that a wrong one is a 422 at ["query", "snapshot"] with a readable message.
SNAPSHOT_HELP = 'A snapshot id (GET /api/portfolio/snapshots) or "latest", the one with the latest as-of date.'
SnapshotParam = Annotated[
    str,
    WithJsonSchema({
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"type": "string", "enum": ["latest"]}],
        "default": "latest",
        "description": SNAPSHOT_HELP,
    }),
]  # fmt: skip
# FY2026, FY2026-H1, FY2026-Q1 or 2026-04, years 1900 to 2199 (kokyaku/portfolio/periods.py; lib/dates.py's range).
PERIOD_PATTERN = r"^(FY(19|2[01])[0-9]{2}(-H[12]|-Q[1-4])?|(19|2[01])[0-9]{2}-(0[1-9]|1[0-2]))$"
PERIOD_HELP = (
    "FY2026 (a fiscal year), FY2026-H1 (its first half), FY2026-Q1 (a fiscal quarter) or 2026-04 (a month); "
    "fiscal years begin in the company's start month, and a period must lie within 1900-01-01 to 2199-12-31."
)
# Parsed by _period (a 422 naming the forms, in the request's language); the document gives the pattern.
PeriodParam = Annotated[str, WithJsonSchema({"type": "string", "pattern": PERIOD_PATTERN, "description": PERIOD_HELP})]


def _need_read(request: HttpRequest) -> None:
    if not request.user.has_perm("crm.view_account"):
        raise PermissionDenied(_("Your role does not allow reading the portfolio."))


def _snapshot(value: str | None, name: str = "snapshot") -> Snapshot:
    """Return a snapshot by id (1 to 2**63 - 1) or "latest" (also empty); 404 when there is none, 422 for another form."""
    if value in (None, "", "latest"):
        snapshot = selectors.snapshot_latest()
    else:
        try:
            snapshot_id = int(str(value))
        except ValueError:
            snapshot_id = 0
        if not 1 <= snapshot_id <= MAX_ID:
            raise bad_parameter(name, _("an id or 'latest', not %(value)s.") % {"value": repr(value)})
        snapshot = selectors.snapshot_get(snapshot_id)
    if snapshot is None:
        raise HttpError(
            404, _("No such snapshot.") if value not in (None, "", "latest") else _("No snapshot yet: compute one first.")
        )
    return snapshot


class SnapshotOut(Schema):
    id: int
    as_of: date
    criteria_id: int
    account_count: int
    thresholds: dict[str, float | None]
    notes: dict[str, Any] = Field(
        default_factory=dict,
        description='how each axis was cut ("bands": ok, ties_broken, all_equal ...) '
        'and which probability model served and why ("models")',
    )
    seconds: float


class RowOut(Schema):
    account_id: int
    account_external_id: str
    account_name: str
    owner_id: int | None
    owner: str | None
    zone: str = Field(description='"A", "B", "C" or "" (unzoned)')
    unit_price: Decimal | None
    win_probability: float | None
    probability_source: str
    expected_value: Decimal | None
    price_band: str
    probability_band: str
    near_boundary: bool
    buyer_type: str
    lifecycle: str


class RowPageOut(Schema):
    snapshot: SnapshotOut
    count: int
    page: int
    pages: int
    per_page: int
    results: list[RowOut]


class RowFilters(Schema):
    snapshot: SnapshotParam = "latest"
    owner: int | None = Field(None, description="Rep id of the owner.")
    zone: ZoneParam | None = None
    buyer_type: str | None = None
    lifecycle: Literal["prospect", "new", "active", "at_risk", "dormant", "churned"] | None = None
    near_boundary: bool | None = None
    price_band: BandParam | None = None
    probability_band: BandParam | None = None
    q: str | None = Field(None, max_length=100, description="Part of the account name or external id.")
    sort: str = Field("-expected_value", description=f"One of {', '.join(selectors.SORTS)}; prefix - for descending.")
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=500)


@router.get("/portfolio/snapshots", response={200: list[SnapshotOut], **READ_ERRORS}, summary="List snapshots")
def snapshot_list(request: HttpRequest, limit: int = Query(50, ge=1, le=500)) -> list[Snapshot]:  # type: ignore[type-arg]
    """Snapshots by as-of date, latest first (the same as-of: newest computed first)."""
    _need_read(request)
    return selectors.snapshot_list(limit=limit)


@router.post("/portfolio/snapshots", response={201: SnapshotOut, **WRITE_ERRORS}, summary="Compute a snapshot now")
def snapshot_compute(request: HttpRequest, as_of: Day | None = None) -> Status[Snapshot]:
    """Compute the portfolio now (managers only). Large portfolios: prefer `kokyaku snapshot` from cron."""
    return Status(201, services.snapshot_create(actor=request.user, as_of=as_of))


@router.get("/portfolio/rows", response={200: RowPageOut, **READ_ERRORS}, summary="Portfolio rows")
def rows(request: HttpRequest, filters: Query[RowFilters]) -> dict[str, Any]:
    """One page of a snapshot's rows, filtered and sorted (two queries whatever the size)."""
    _need_read(request)
    snapshot = _snapshot(filters.snapshot)
    page = selectors.portfolio_table(
        snapshot,
        owner_id=filters.owner,
        zone="" if filters.zone == "none" else filters.zone,
        buyer_type=filters.buyer_type,
        lifecycle=filters.lifecycle,
        near_boundary=filters.near_boundary,
        price_band=filters.price_band,
        probability_band=filters.probability_band,
        search=filters.q,
        sort=filters.sort,
        page=filters.page,
        per_page=filters.per_page,
    )
    return {
        "snapshot": snapshot, "count": page.total, "page": page.page, "pages": page.num_pages, "per_page": page.per_page,
        "results": page.rows,
    }  # fmt: skip


class CellOut(Schema):
    price_band: str
    probability_band: str
    zone: str
    accounts: int
    expected_value: float


class MatrixOut(Schema):
    snapshot: SnapshotOut
    cells: list[CellOut] = Field(description="Nine cells, unit price high→low, then probability high→low.")
    zone_accounts: dict[str, int]
    zone_expected_value: dict[str, float]
    unzoned: int
    total: int


@router.get("/portfolio/matrix", response={200: MatrixOut, **READ_ERRORS}, summary="The 3×3 matrix")
def matrix(
    request: HttpRequest,
    snapshot: SnapshotParam = "latest",
    owner: int | None = None,
) -> dict[str, Any]:
    """Accounts and expected value per grid cell and per zone (one aggregate query)."""
    _need_read(request)
    s = _snapshot(snapshot)
    m = selectors.team_matrix(s, owner_id=owner)
    return {**asdict(m), "snapshot": s, "cells": [c for row in m.cells for c in row]}


class FlowOut(Schema):
    from_zone: str
    to_zone: str
    accounts: int


class MigrationOut(Schema):
    before: SnapshotOut
    after: SnapshotOut
    counts: dict[str, dict[str, int]] = Field(description='from zone → to zone → accounts; "" is unzoned or not present.')
    flows: list[FlowOut]


@router.get("/portfolio/migration", response={200: MigrationOut, **READ_ERRORS, 400: ErrorOut}, summary="Zone migration")
def migration(
    request: HttpRequest,
    before: int | None = Query(None, ge=1, le=MAX_ID, description="A snapshot id; left out, the one before after."),  # type: ignore[type-arg]
    after: SnapshotParam = "latest",
) -> dict[str, Any]:
    """From-zone × to-zone counts between two snapshots, forward in time.

    Default: ``after`` is the snapshot with the latest as-of date, ``before`` the one before it in
    time (as-of date, then computation order), whatever order they were computed in. A ``before``
    that does not come before ``after`` in that order (a later as-of date, the same snapshot, or the
    same as-of date computed later) is a 400 naming both snapshots.
    """
    _need_read(request)
    a = _snapshot(after, "after")
    b = _snapshot(str(before), "before") if before is not None else selectors.snapshot_previous(a)
    if b is None:
        raise HttpError(404, _("There is no earlier snapshot to compare with."))
    if b.pk == a.pk:
        same = _(
            "before and after are the same snapshot %(id)s (as of %(as_of)s); "
            "give an earlier snapshot as before, or leave before out."
        )
        raise HttpError(400, same % {"id": a.pk, "as_of": a.as_of.isoformat()})
    if not selectors.snapshot_is_before(b, a):
        backwards = _(
            "before: snapshot %(before)s (as of %(before_as_of)s) is not earlier than after: snapshot %(after)s "
            "(as of %(after_as_of)s); a migration runs forward in time, so swap them."
        )
        dates = {"before_as_of": b.as_of.isoformat(), "after_as_of": a.as_of.isoformat()}
        raise HttpError(400, backwards % {"before": b.pk, "after": a.pk, **dates})
    m = selectors.zone_migration(b, a)
    return {"before": b, "after": a, "counts": m.counts, "flows": m.flows()}


class EffortOut(Schema):
    rep_id: int | None = None
    rep: str | None = None
    zone: str
    minutes: float
    hours: float
    revenue: float
    revenue_per_hour: float | None
    effort_share: float
    revenue_share: float


class EffortPageOut(Schema):
    snapshot: SnapshotOut
    start: date
    end: date
    rows: list[EffortOut]
    reps_total: int | None = Field(None, description="per_rep: every rep (and 'no rep' when anything has none); else null")
    reps_page: int | None = Field(None, description="per_rep: this page of reps (by name, 'no rep' last); else null")
    reps_per_page: int | None = None
    next_reps_page: int | None = Field(None, description="per_rep: the next page of reps, null on the last")


@router.get("/portfolio/effort", response={200: EffortPageOut, **READ_ERRORS}, summary="Effort vs return")
def effort(
    request: HttpRequest,
    start: Day,
    end: Day,
    per_rep: bool = False,
    snapshot: SnapshotParam = "latest",
    reps_page: int = Query(1, ge=1),  # type: ignore[type-arg]
    reps_per_page: int = Query(100, ge=1, le=500),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Activity minutes and won revenue per zone between two dates, inclusive; ``per_rep``: per rep and zone, a page of reps.

    Per rep, ``reps_per_page`` reps (by name, at most 500) at a time: the rows of page
    ``reps_page``, shares of the whole team; follow ``next_reps_page``.
    """
    _need_read(request)
    if start > end:
        raise HttpError(400, _("start (%(start)s) is after end (%(end)s).") % {"start": start, "end": end})
    s = _snapshot(snapshot)
    if not per_rep:
        return {"snapshot": s, "start": start, "end": end, "rows": selectors.effort_return(s, start=start, end=end)}
    tables = selectors.effort_tables(s, start=start, end=end, page=reps_page, per_page=reps_per_page)
    more = tables.page * tables.per_page < tables.reps_total
    return {
        "snapshot": s, "start": start, "end": end, "rows": tables.per_rep, "reps_total": tables.reps_total,
        "reps_page": tables.page, "reps_per_page": tables.per_page, "next_reps_page": tables.page + 1 if more else None,
    }  # fmt: skip


class GapAccountOut(Schema):
    account_id: int
    name: str
    expected_value: float
    cumulative_expected_value: float
    covers_gap: bool


class TargetRowOut(Schema):
    rep_id: int
    rep: str
    target: float
    won: float
    pipeline: float
    weighted_pipeline: float
    yomi_won: float
    yomi_high: float
    yomi_mid: float
    gap: float = Field(description="target − won, 0 when ahead")
    gap_after_yomi: float = Field(description="target − ヨミ (yomi_mid), 0 when the ヨミ covers it")
    surplus: float = Field(description="won − target, 0 when behind")
    surplus_after_yomi: float = Field(description="ヨミ − target, 0 when behind")
    attainment: float | None
    accounts: list[GapAccountOut]


class OpenDealDatesOut(Schema):
    undated: int = Field(description="Open deals without an expected close date: in no period's pipeline.")
    overdue: int = Field(description="Open deals whose expected close date has passed: still in that date's period.")


class TargetsOut(Schema):
    period: str
    start: date
    end: date
    high: float
    mid: float
    reps: list[TargetRowOut]
    team: dict[str, float | None] = Field(
        description="Sums of the reps' target, won, pipeline and ヨミ; the team's own gap / surplus (target − won) and "
        "gap_after_yomi / surplus_after_yomi (target − ヨミ), attainment; reps_behind and reps_shortfall (the sum of "
        "the gaps of the reps behind, not the team's gap), and the same after the ヨミ."
    )
    open_deals: OpenDealDatesOut


def _period(key: str) -> Period:
    try:
        return period_parse(key, start_month=crm_selectors.company_settings().fiscal_year_start_month)
    except ValueError:
        forms = _("%(key)s: use FY2026 (a fiscal year), FY2026-Q1 (a fiscal quarter) or 2026-04 (a month).")
        raise bad_parameter("period", forms % {"key": repr(key)}) from None


@router.get("/portfolio/targets", response={200: TargetsOut, **READ_ERRORS}, summary="Targets and ヨミ forecast")
def targets(
    request: HttpRequest,
    period: PeriodParam,
    rep: int | None = None,
) -> dict[str, Any]:
    """Per rep: target, won, weighted pipeline, ヨミ, gap and the zone-A accounts that could close it.

    ``period``: FY2026 (fiscal year), FY2026-Q1 (fiscal quarter) or 2026-04 (month). Won deals
    count by their closed date, open deals by their expected close date; ``open_deals`` counts
    the open deals (of ``rep``, or all) that are undated or past their expected date.
    """
    _need_read(request)
    p = _period(period)
    rep_ids = [rep] if rep is not None else None
    view = selectors.targets_view(start=p.start, end=p.end, rep_ids=rep_ids)
    return {
        "period": p.key, "start": p.start, "end": p.end, "high": view.high, "mid": view.mid, "reps": view.reps,
        "team": asdict(view.team), "open_deals": selectors.open_deal_dates(today=timezone.localdate(), rep_ids=rep_ids),
    }  # fmt: skip


class TargetIn(Schema):
    rep_id: int
    period: PeriodParam
    amount: Decimal | None = Field(None, ge=0, description="null removes the target.")


class TargetOut(Schema):
    rep_id: int
    period: str
    start: date
    end: date
    amount: Decimal | None


@router.put("/portfolio/targets", response={200: TargetOut, **WRITE_ERRORS}, summary="Set a rep's target")
def target_put(request: HttpRequest, body: TargetIn) -> dict[str, Any]:
    """Set or remove a rep's target for a period (managers only); a quarter replaces its months."""
    rep = crm_selectors.rep_get(rep_id=body.rep_id)
    if rep is None:
        raise HttpError(404, _("Rep %(id)s not found.") % {"id": body.rep_id})
    p = _period(body.period)
    crm_services.target_set(actor=request.user, rep=rep, period_start=p.start, period_end=p.end, amount=body.amount)
    return {"rep_id": rep.pk, "period": p.key, "start": p.start, "end": p.end, "amount": body.amount}
