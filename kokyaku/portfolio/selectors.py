"""Reads of the portfolio that pages, the API and the CLI share.

Every selector runs a fixed, small number of queries (aggregates run in the database), whatever
the size of the portfolio. Money comes back as ``Decimal`` from rows and ``float`` from
aggregates meant for charts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db.models import Case, Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from kokyaku.crm.models import Account, Activity, Deal, Rep, Target
from kokyaku.domain.portfolio import (
    BANDS,
    DEFAULT_STAGE_PROBABILITIES,
    ZONES,
    CriteriaSpec,
    Thresholds,
    accounts_to_close_gap,
    criteria_change_matrix,
    deal_probability,
    effort_vs_return,
    resolve_thresholds,
    target_forecast,
    team_forecast,
)
from kokyaku.domain.portfolio.review import ZONE_RANK
from kokyaku.portfolio.models import Criteria, Snapshot, SnapshotRow

ROW_FIELDS: tuple[str, ...] = (
    "account_id",
    "account__external_id",
    "account__name",
    "owner_id",
    "owner__name",
    "unit_price",
    "win_probability",
    "probability_source",
    "expected_value",
    "price_band",
    "probability_band",
    "zone",
    "near_boundary",
    "buyer_type",
    "lifecycle",
)
SORTS = {
    "name": "account__name",
    "owner": "owner__name",
    "unit_price": "unit_price",
    "win_probability": "win_probability",
    "expected_value": "expected_value",
    "zone": "zone",
    "lifecycle": "lifecycle",
    "buyer_type": "buyer_type",
}


# -- criteria and snapshots -------------------------------------------------------------------


def criteria_current() -> Criteria | None:
    """Return the newest criteria version, or None before the first one is saved."""
    return Criteria.objects.order_by("-created_at", "-id").first()


def criteria_history(*, limit: int = 50) -> list[Criteria]:
    """Return the latest criteria versions, newest first, with who made them."""
    return list(Criteria.objects.select_related("created_by").order_by("-created_at", "-id")[:limit])


# "Latest" means the latest as-of date (the day the portfolio describes), not the most recently
# computed: `kokyaku snapshot --as-of 2026-08-31` run today rebuilds a past portfolio and must not
# become the current one. Snapshots with the same as-of date: the newest computed first.
SNAPSHOT_ORDER: tuple[str, ...] = ("-as_of", "-created_at", "-id")


def snapshot_latest() -> Snapshot | None:
    """Return the snapshot with the latest as-of date (ties: the newest computed), or None."""
    return Snapshot.objects.select_related("criteria").order_by(*SNAPSHOT_ORDER).first()


def snapshot_previous(snapshot: Snapshot) -> Snapshot | None:
    """Return the snapshot just before ``snapshot`` in time (as-of date, then computation), or None."""
    as_of, created = snapshot.as_of, snapshot.created_at
    earlier = Q(as_of__lt=as_of) | Q(as_of=as_of, created_at__lt=created) | Q(as_of=as_of, created_at=created, id__lt=snapshot.pk)
    return Snapshot.objects.select_related("criteria").filter(earlier).order_by(*SNAPSHOT_ORDER).first()


def snapshot_is_before(a: Snapshot, b: Snapshot) -> bool:
    """True when ``a`` comes before ``b`` in time (the order of :data:`SNAPSHOT_ORDER`, reversed)."""
    return (a.as_of, a.created_at, a.pk) < (b.as_of, b.created_at, b.pk)


def snapshot_get(snapshot_id: int | str | None) -> Snapshot | None:
    """Return a snapshot by id, "latest" / None for the latest as-of; None if it does not exist."""
    if snapshot_id is None or str(snapshot_id) == "latest":
        return snapshot_latest()
    return Snapshot.objects.select_related("criteria").filter(pk=int(snapshot_id)).first()


def snapshot_list(*, limit: int = 100) -> list[Snapshot]:
    """Return snapshots by as-of date, latest first (ties: newest computed first)."""
    return list(Snapshot.objects.select_related("criteria").order_by(*SNAPSHOT_ORDER)[:limit])


# -- the rep table --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowPage:
    """One page of portfolio rows (dicts with :data:`ROW_FIELDS`) and the paging numbers."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def snapshot_rows_queryset(
    snapshot: Snapshot,
    *,
    owner_id: int | None = None,
    zone: str | None = None,
    buyer_type: str | None = None,
    lifecycle: str | None = None,
    near_boundary: bool | None = None,
    search: str | None = None,
) -> QuerySet[SnapshotRow]:
    """Return the filtered rows of a snapshot (the base of the table, the export and the API)."""
    qs = SnapshotRow.objects.filter(snapshot=snapshot)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if zone is not None:
        qs = qs.filter(zone=zone)
    return _filter_rows(qs, buyer_type=buyer_type, lifecycle=lifecycle, near_boundary=near_boundary, search=search)


def _filter_rows(
    qs: QuerySet[SnapshotRow],
    *,
    buyer_type: str | None = None,
    lifecycle: str | None = None,
    near_boundary: bool | None = None,
    search: str | None = None,
) -> QuerySet[SnapshotRow]:
    """Apply the table's filters other than owner and zone (empty values filter nothing)."""
    if buyer_type:
        qs = qs.filter(buyer_type=buyer_type)
    if lifecycle:
        qs = qs.filter(lifecycle=lifecycle)
    if near_boundary is not None:
        qs = qs.filter(near_boundary=near_boundary)
    if search:
        qs = qs.filter(Q(account__name__icontains=search) | Q(account__external_id__icontains=search))
    return qs


def snapshot_rows(
    snapshot: Snapshot,
    *,
    owner_id: int | None = None,
    zone: str | None = None,
    buyer_type: str | None = None,
    lifecycle: str | None = None,
    near_boundary: bool | None = None,
    search: str | None = None,
    sort: str = "-expected_value",
    page: int = 1,
    per_page: int = 50,
) -> RowPage:
    """Return one page of a snapshot's rows, filtered and sorted: two queries (count + page).

    ``sort`` is a key of :data:`SORTS`, "-" for descending; unknown keys fall back to expected
    value, descending. Empty values sort last either way.
    """
    qs = snapshot_rows_queryset(
        snapshot,
        owner_id=owner_id,
        zone=zone,
        buyer_type=buyer_type,
        lifecycle=lifecycle,
        near_boundary=near_boundary,
        search=search,
    )
    return _sorted_page(qs, sort=sort, page=page, per_page=per_page)


def _paging(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    """Return (page, per_page, start): per_page clamped to 1-500, the page to the existing ones."""
    per_page = max(1, min(int(per_page), 500))
    page = max(1, min(int(page), max(1, math.ceil(total / per_page))))
    return page, per_page, (page - 1) * per_page


def _sorted_page(qs: QuerySet[SnapshotRow], *, sort: str, page: int, per_page: int) -> RowPage:
    """Return one page of ``qs`` sorted by ``sort`` (a key of :data:`SORTS`, "-" for descending): two queries.

    Unknown keys fall back to expected value, descending; empty values sort last either way.
    """
    key = sort.lstrip("-")
    desc = sort.startswith("-") if key in SORTS else True
    column = SORTS.get(key, "expected_value")
    order = F(column).desc(nulls_last=True) if desc else F(column).asc(nulls_last=True)
    total = qs.count()
    page, per_page, start = _paging(total, page, per_page)
    return RowPage(rows=_page_rows(qs, [order, "account_id"], start, per_page), total=total, page=page, per_page=per_page)


def _page_rows(qs: QuerySet[SnapshotRow], order: list[Any], start: int, per_page: int) -> list[dict[str, Any]]:
    """Return one page of rows as dicts in ONE query: pick the page's ids, then join names to them.

    Sorting the bare rows and joining accounts and reps only to the page keeps page one of a
    200k-account snapshot at a top-N sort instead of joining every row before sorting.
    """
    ids = qs.order_by(*order).values("id")[start : start + per_page]
    return list(SnapshotRow.objects.filter(id__in=Subquery(ids)).order_by(*order).values(*ROW_FIELDS))


# -- the team views -------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixCell:
    price_band: str
    probability_band: str
    zone: str
    accounts: int
    expected_value: float


@dataclass(frozen=True)
class TeamMatrix:
    """The 3×3 grid (rows: unit price high→low, columns: probability high→low) and zone totals."""

    cells: list[list[MatrixCell]]
    zone_accounts: dict[str, int]
    zone_expected_value: dict[str, float]
    unzoned: int
    total: int


def team_matrix(snapshot: Snapshot, *, owner_id: int | None = None) -> TeamMatrix:
    """Count accounts and sum expected value per grid cell, in one aggregate query."""
    qs = SnapshotRow.objects.filter(snapshot=snapshot)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    agg = {
        (r["price_band"], r["probability_band"], r["zone"]): (int(r["n"]), float(r["ev"] or 0))
        for r in qs.values("price_band", "probability_band", "zone").annotate(n=Count("id"), ev=Sum("expected_value")).order_by()
    }
    grid = snapshot.criteria.grid
    return _matrix(grid, lambda pb, qb: agg.get((pb, qb, grid[pb][qb]), (0, 0.0)), sum(n for n, _ in agg.values()))


def _matrix(grid: dict[str, dict[str, str]], cell: Callable[[str, str], tuple[int, float]], total: int) -> TeamMatrix:
    """Lay out the 3×3 grid from ``cell(price band, probability band) -> (accounts, expected value)``.

    ``total`` counts every row, so the unzoned ones are what the nine cells do not hold.
    """
    cells: list[list[MatrixCell]] = []
    zone_n = dict.fromkeys(ZONES, 0)
    zone_ev = dict.fromkeys(ZONES, 0.0)
    for pb in BANDS:
        row = []
        for qb in BANDS:
            zone = grid[pb][qb]
            n, ev = cell(pb, qb)
            row.append(MatrixCell(pb, qb, zone, n, ev))
            zone_n[zone] += n
            zone_ev[zone] += ev
        cells.append(row)
    return TeamMatrix(cells, zone_n, zone_ev, total - sum(zone_n.values()), total)


SCATTER_FIELDS = (
    "account_id",
    "account__name",
    "owner__name",
    "unit_price",
    "win_probability",
    "expected_value",
    "zone",
    "near_boundary",
)


def scatter_points(snapshot: Snapshot, *, max_points: int = 5000, owner_id: int | None = None) -> dict[str, Any]:
    """Return zoned accounts for the scatter (unit price × probability), sampled when large.

    Sampling keeps every k-th account id (deterministic, cheap in SQL, the same accounts from day
    to day). Returns ``{"points": [...], "total": N, "sampled": bool, "thresholds": {...}}``.
    Two queries.
    """
    qs = SnapshotRow.objects.filter(snapshot=snapshot).exclude(zone="")
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return _scatter(snapshot, qs, total=qs.count(), max_points=max_points)


def _scatter(snapshot: Snapshot, zoned: QuerySet[SnapshotRow], *, total: int, max_points: int) -> dict[str, Any]:
    """Every k-th account id of the ``total`` zoned rows in ``zoned`` (k keeps it near ``max_points``): one query."""
    step = max(1, math.ceil(total / max(1, max_points)))
    if step > 1:
        zoned = zoned.annotate(bucket=F("account_id") % step).filter(bucket=0)
    points = [
        {
            "account_id": aid,
            "name": name,
            "owner": owner,
            "unit_price": float(price),
            "win_probability": float(prob or 0.0),
            "expected_value": float(ev),
            "zone": zone,
            "near_boundary": near,
        }
        for aid, name, owner, price, prob, ev, zone, near in zoned.values_list(*SCATTER_FIELDS)[: max_points * 2]
    ]
    return {"points": points, "total": total, "sampled": step > 1, "thresholds": snapshot.thresholds}


def rep_breakdown(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Return per owner: accounts and expected value per zone, unzoned and near-boundary counts.

    Two queries: the aggregate by owner id (no join, so the database hashes instead of sorting
    every row by name), then the reps' names. Rows sorted by owner name, unowned accounts last.
    """
    rows = list(SnapshotRow.objects.filter(snapshot=snapshot).values("owner_id").annotate(**_rep_aggregates()).order_by())
    owner_ids = [r["owner_id"] for r in rows if r["owner_id"] is not None]
    reps = {r["id"]: r for r in Rep.objects.filter(id__in=owner_ids).values("id", "name", "tier")}
    names: dict[int, str] = {i: str(r["name"]) for i, r in reps.items()}
    rows.sort(key=lambda r: (r["owner_id"] is None, names.get(r["owner_id"], ""), r["owner_id"] or 0))
    return [_rep_row(r, reps.get(r["owner_id"], {})) for r in rows]


def _rep_aggregates() -> dict[str, Any]:
    """Per owner: accounts, per zone, unzoned, near-boundary, dormant, expected value (all, zone A)."""
    return {
        "total": Count("id"),
        "a": Count("id", filter=Q(zone="A")),
        "b": Count("id", filter=Q(zone="B")),
        "c": Count("id", filter=Q(zone="C")),
        "unzoned": Count("id", filter=Q(zone="")),
        "near": Count("id", filter=Q(near_boundary=True)),
        "ev": Sum("expected_value"),
        "ev_a": Sum("expected_value", filter=Q(zone="A")),
        "dormant": Count("id", filter=Q(lifecycle="dormant")),
    }


def _rep_row(r: dict[str, Any], rep: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the per-rep breakdown from :func:`_rep_aggregates` and the rep's id, name and tier."""
    return {
        "owner_id": r["owner_id"],
        "owner": rep.get("name"),
        "tier": rep.get("tier"),
        "accounts": r["total"],
        "zones": {"A": r["a"], "B": r["b"], "C": r["c"]},
        "unzoned": r["unzoned"],
        "near_boundary": r["near"],
        "dormant": r["dormant"],
        "expected_value": float(r["ev"] or 0),
        "expected_value_a": float(r["ev_a"] or 0),
    }


# -- review: moves, migration, history --------------------------------------------------------


def _with_previous_zone(current: Snapshot, previous: Snapshot) -> Any:
    """Return ``current``'s rows annotated with ``previous_zone`` (None when not in ``previous``)."""
    prev = SnapshotRow.objects.filter(snapshot=previous, account_id=OuterRef("account_id")).values("zone")[:1]
    return SnapshotRow.objects.filter(snapshot=current).annotate(previous_zone=Subquery(prev))


def zone_moves(
    snapshot: Snapshot,
    *,
    previous: Snapshot | None = None,
    direction: str | None = None,
    owner_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RowPage:
    """Return the accounts whose zone changed since the previous snapshot (the review list).

    ``direction``: "up" (toward A), "down", or None for both. Accounts that were not in the
    previous snapshot are not moves. Rows carry ``previous_zone`` and ``direction``; sorted
    by expected value. Two queries (three when ``previous`` is looked up).
    """
    previous = previous or snapshot_previous(snapshot)
    if previous is None:
        return RowPage([], 0, 1, per_page)
    qs = _with_previous_zone(snapshot, previous).filter(previous_zone__isnull=False).exclude(zone=F("previous_zone"))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    # Rank: A < B < C < "" (unzoned), so "up" means the new rank is smaller.
    up = Q(zone="A", previous_zone__in=["B", "C", ""]) | Q(zone="B", previous_zone__in=["C", ""]) | Q(zone="C", previous_zone="")
    if direction == "up":
        qs = qs.filter(up)
    elif direction == "down":
        qs = qs.exclude(up)
    total = qs.count()
    page, per_page, start = _paging(total, page, per_page)
    rows = list(
        qs.order_by(F("expected_value").desc(nulls_last=True), "account_id").values(*ROW_FIELDS, "previous_zone")[
            start : start + per_page
        ]
    )
    for r in rows:
        r["direction"] = "up" if ZONE_RANK[r["zone"]] < ZONE_RANK[r["previous_zone"]] else "down"
    return RowPage(rows, total, page, per_page)


@dataclass(frozen=True)
class MigrationCounts:
    """From-zone × to-zone counts between two snapshots ("" = unzoned / not present)."""

    before: Snapshot
    after: Snapshot
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def flows(self) -> list[dict[str, Any]]:
        """Return the non-empty cells as (source, target, value) links, e.g. for a Sankey chart."""
        return [{"from": f, "to": t, "accounts": n} for f, row in self.counts.items() for t, n in row.items() if n > 0]


def zone_migration(before: Snapshot, after: Snapshot) -> MigrationCounts:
    """Count accounts per (zone in ``before``, zone in ``after``), aggregated in the database.

    Accounts new in ``after`` count from "" (not present). One query.
    """
    labels = [*ZONES, ""]
    counts = {f: dict.fromkeys(labels, 0) for f in labels}
    qs = _with_previous_zone(after, before).values("previous_zone", "zone").annotate(n=Count("id")).order_by()
    for r in qs:
        counts[r["previous_zone"] or ""][r["zone"]] += int(r["n"])
    return MigrationCounts(before, after, counts)


def zone_migration_accounts(
    before: Snapshot, after: Snapshot, *, from_zone: str, to_zone: str, page: int = 1, per_page: int = 50
) -> RowPage:
    """Return the accounts behind one cell of :func:`zone_migration` (rows of ``after``)."""
    qs = _with_previous_zone(after, before).filter(zone=to_zone)
    qs = qs.filter(Q(previous_zone__isnull=True) | Q(previous_zone="")) if from_zone == "" else qs.filter(previous_zone=from_zone)
    total = qs.count()
    page, per_page, start = _paging(total, page, per_page)
    rows = list(qs.order_by("account__name", "account_id").values(*ROW_FIELDS, "previous_zone")[start : start + per_page])
    return RowPage(rows, total, page, per_page)


def account_zone_history(account_id: int, *, limit: int = 60) -> list[dict[str, Any]]:
    """Return an account's rows across snapshots, oldest first: one query."""
    rows = (
        # snapshot_id IN (...) lets the database probe the unique (snapshot, account) index once per
        # snapshot instead of scanning: there is deliberately no (account, snapshot) index.
        SnapshotRow.objects.filter(account_id=account_id, snapshot_id__in=Snapshot.objects.values("id"))
        .order_by("-snapshot__as_of", "-snapshot_id")
        .values(
            "snapshot_id",
            "snapshot__as_of",
            "zone",
            "unit_price",
            "win_probability",
            "probability_source",
            "expected_value",
            "near_boundary",
            "lifecycle",
            "owner__name",
        )[:limit]
    )
    out: list[dict[str, Any]] = []
    for r in rows:
        item: dict[str, Any] = dict(r)
        item["as_of"] = item.pop("snapshot__as_of")
        item["owner"] = item.pop("owner__name")
        out.append(item)
    return out[::-1]


# -- criteria preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CriteriaPreview:
    """What a criteria change would do to a snapshot: the from × to matrix and the cut-offs before and after."""

    snapshot: Snapshot
    matrix: pd.DataFrame
    now: Thresholds  # the current criteria's cut-offs on the snapshot's values
    new: Thresholds  # the proposed criteria's cut-offs on the same values


def _snapshot_values(snapshot: Snapshot) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return a snapshot's unit prices and probabilities as two float arrays (NaN when missing): one query."""
    values = list(SnapshotRow.objects.filter(snapshot=snapshot).values_list("unit_price", "win_probability"))
    arr = np.array([(float(p) if p is not None else np.nan, q if q is not None else np.nan) for p, q in values], dtype=float)
    arr = arr.reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def criteria_preview_detail(
    new: CriteriaSpec, *, snapshot: Snapshot | None = None, current: CriteriaSpec | None = None
) -> CriteriaPreview | None:
    """Re-cut the latest snapshot's values with ``new``: the moves and both sets of cut-offs; None without a snapshot.

    ``current`` defaults to the snapshot's own criteria. The cut-offs are what quantile rules
    resolve to (the yen and percent values behind "high" and "low"). One query for the values.
    """
    snapshot = snapshot or snapshot_latest()
    if snapshot is None:
        return None
    price, probability = _snapshot_values(snapshot)
    old = current or snapshot.criteria.to_spec()
    return CriteriaPreview(
        snapshot=snapshot,
        matrix=criteria_change_matrix(price, probability, old, new),
        now=resolve_thresholds(price, probability, old),
        new=resolve_thresholds(price, probability, new),
    )


def criteria_cutoffs(spec: CriteriaSpec, *, snapshot: Snapshot) -> Thresholds:
    """Return the cut-offs ``spec`` gives on ``snapshot``'s unit prices and probabilities: one query."""
    price, probability = _snapshot_values(snapshot)
    return resolve_thresholds(price, probability, spec)


def criteria_preview(new: CriteriaSpec, *, snapshot: Snapshot | None = None) -> pd.DataFrame | None:
    """Count how many accounts of the latest snapshot each proposed criteria change would move.

    Returns the from-zone × to-zone matrix (the snapshot's criteria → ``new``) on the snapshot's
    unit prices and probabilities, or None without a snapshot. One query for the values.
    """
    detail = criteria_preview_detail(new, snapshot=snapshot)
    return None if detail is None else detail.matrix


# -- effort vs return ---------------------------------------------------------------------------


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


def effort_return(snapshot: Snapshot, *, start: date, end: date, per_rep: bool = False) -> pd.DataFrame:
    """Activity minutes vs won revenue per zone (and per rep) between two dates, inclusive.

    Zones are those of ``snapshot``. Two aggregate queries; the ratios come from the domain core:
    columns ``[rep_id, rep,] zone, minutes, hours, revenue, revenue_per_hour, effort_share,
    revenue_share``. Activities and deals count under the rep who did / owns them.
    """
    zone_of = SnapshotRow.objects.filter(snapshot=snapshot, account_id=OuterRef("account_id")).values("zone")[:1]
    lo, hi = _day_bounds(start, end)
    rep_key = ["rep_id"] if per_rep else []
    minutes = pd.DataFrame.from_records(
        list(
            Activity.objects.filter(occurred_at__gte=lo, occurred_at__lt=hi)
            .annotate(zone=Subquery(zone_of))
            .values(*rep_key, "zone")
            .annotate(minutes=Sum("minutes"))
            .order_by()
        ),
        columns=[*rep_key, "zone", "minutes"],
    )
    revenue = pd.DataFrame.from_records(
        list(
            Deal.objects.filter(status=Deal.Status.WON, closed_on__gte=start, closed_on__lte=end)
            .annotate(zone=Subquery(zone_of), rep_id=F("owner_id"))
            .values(*rep_key, "zone")
            .annotate(revenue=Sum("amount"))
            .order_by()
        ),
        columns=[*rep_key, "zone", "revenue"],
    )
    for frame in (minutes, revenue):
        frame["zone"] = frame["zone"].fillna("").astype(object)
    minutes["minutes"] = minutes["minutes"].astype(float)
    revenue["revenue"] = revenue["revenue"].astype(float)
    out = effort_vs_return(minutes, revenue, by=(*rep_key, "zone"))
    if per_rep:
        names = dict(Rep.objects.values_list("id", "name"))
        out.insert(1, "rep", out["rep_id"].map(names).fillna(""))
    return out


# -- targets (予実管理) ---------------------------------------------------------------------------


def stage_probabilities_for(snapshot: Snapshot | None) -> dict[str, float]:
    """Return the stage / ヨミ-rank probability table: the snapshot's criteria, else the current ones, else the default."""
    criteria = snapshot.criteria if snapshot is not None else Criteria.objects.order_by("-created_at", "-id").first()
    table = criteria.stage_probabilities if criteria is not None else DEFAULT_STAGE_PROBABILITIES
    return {str(k): float(v) for k, v in dict(table).items()}


def targets_view(
    *,
    start: date,
    end: date,
    snapshot: Snapshot | None = None,
    rep_ids: Sequence[int] | None = None,
    high: float = 0.7,
    mid: float = 0.4,
    accounts_per_rep: int = 10,
) -> dict[str, Any]:
    """Return the 予実 table for a period: per rep target, won, weighted pipeline, ヨミ and gap.

    Targets are those whose period lies inside [start, end]. Won deals count by ``closed_on``;
    open deals when their ``expected_close_on`` falls in the period (the (status,
    expected_close_on) index finds them), with the rep's probability, else the stage table of the
    snapshot's criteria (:func:`stage_probabilities_for`). An open deal whose expected date has
    passed stays in that date's period (see :func:`open_deal_dates`). ``accounts`` lists per rep
    the zone-A accounts (latest snapshot) whose expected value could close the gap. Five queries,
    six without a snapshot.
    """
    snapshot = snapshot or snapshot_latest()
    table = stage_probabilities_for(snapshot)
    targets_qs = Target.objects.filter(period_start__gte=start, period_end__lte=end)
    won_qs = Deal.objects.filter(status=Deal.Status.WON, closed_on__gte=start, closed_on__lte=end)
    open_qs = Deal.objects.filter(status=Deal.Status.OPEN, expected_close_on__gte=start, expected_close_on__lte=end)
    if rep_ids is not None:
        targets_qs = targets_qs.filter(rep_id__in=rep_ids)
        won_qs = won_qs.filter(owner_id__in=rep_ids)
        open_qs = open_qs.filter(owner_id__in=rep_ids)
    targets = pd.DataFrame.from_records(
        list(targets_qs.values("rep_id").annotate(target=Sum("amount")).order_by()), columns=["rep_id", "target"]
    )
    won = pd.DataFrame.from_records(
        list(won_qs.exclude(owner_id=None).values("owner_id").annotate(amount=Sum("amount")).order_by()),
        columns=["owner_id", "amount"],
    ).rename(columns={"owner_id": "rep_id"})
    pipe = pd.DataFrame.from_records(
        list(open_qs.exclude(owner_id=None).order_by().values_list("owner_id", "amount", "probability", "stage")),
        columns=["rep_id", "amount", "probability", "stage"],
    )
    pipe["probability"] = deal_probability(pipe["probability"], pipe["stage"], table)
    for frame, col in ((targets, "target"), (won, "amount"), (pipe, "amount")):
        frame[col] = frame[col].astype(float)
    forecast = target_forecast(targets, won, pipe, high=high, mid=mid)
    forecast = forecast.loc[forecast["target"].notna()].reset_index(drop=True)
    # Every rep's name (or the asked-for ones): cheaper than an IN list of thousands of ids to parse.
    reps_qs = Rep.objects.all() if rep_ids is None else Rep.objects.filter(id__in=rep_ids)
    names = dict(reps_qs.order_by().values_list("id", "name"))
    forecast.insert(1, "rep", forecast["rep_id"].map(names).fillna(""))
    accounts = pd.DataFrame(columns=["rep_id", "account_id", "name", "expected_value", "cumulative_ev", "covers_gap"])
    gaps = forecast.set_index("rep_id")["gap"]
    if snapshot is not None and bool((gaps > 0).any()):
        rep_with_gap = [int(r) for r in gaps.index[gaps > 0]]
        ranked = (
            SnapshotRow.objects.filter(snapshot=snapshot, zone="A", owner_id__in=rep_with_gap, expected_value__isnull=False)
            .annotate(
                rank=Window(
                    RowNumber(), partition_by=[F("owner_id")], order_by=[F("expected_value").desc(), F("account_id").asc()]
                )
            )
            .filter(rank__lte=accounts_per_rep * 5)
            .values_list("owner_id", "account_id", "account__name", "expected_value")
        )
        cand = pd.DataFrame.from_records(list(ranked), columns=["rep_id", "account_id", "name", "expected_value"])
        cand["expected_value"] = cand["expected_value"].astype(float)
        accounts = accounts_to_close_gap(cand, gaps, limit=accounts_per_rep)
    return {"reps": forecast, "team": team_forecast(forecast), "accounts": accounts, "high": high, "mid": mid}


def money(value: float | Decimal | None) -> Decimal | None:
    """Round a float amount to the money column's precision (None stays None)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


# -- pages: the filtered table, a rep's day, one account ------------------------------------------


def portfolio_table(
    snapshot: Snapshot,
    *,
    owner_id: int | None = None,
    zone: str | None = None,
    buyer_type: str | None = None,
    lifecycle: str | None = None,
    near_boundary: bool | None = None,
    price_band: str | None = None,
    probability_band: str | None = None,
    search: str | None = None,
    sort: str = "-expected_value",
    page: int = 1,
    per_page: int = 50,
) -> RowPage:
    """Like :func:`snapshot_rows`, also filtered by grid cell (the matrix links here): three queries.

    One owner's rows come through the (snapshot, owner, zone) index; the whole team's through
    :func:`snapshot_scan` (one sequential pass instead of a probe per row).
    """
    qs = (
        snapshot_rows_queryset(snapshot, owner_id=owner_id, zone=zone)
        if owner_id is not None
        else snapshot_scan(snapshot).filter(**({} if zone is None else {"zone": zone}))
    )
    qs = _filter_rows(qs, buyer_type=buyer_type, lifecycle=lifecycle, near_boundary=near_boundary, search=search)
    if price_band is not None:
        qs = qs.filter(price_band=price_band)
    if probability_band is not None:
        qs = qs.filter(probability_band=probability_band)
    return _sorted_page(qs, sort=sort, page=page, per_page=per_page)


def rep_focus(snapshot: Snapshot, *, rep_id: int, today: date, idle_days: int = 30, limit: int = 10) -> dict[str, Any]:
    """Return a rep's day: zone-A accounts with no activity for ``idle_days``, and near-boundary pushes.

    ``idle``: the rep's zone-A accounts without any activity since ``today - idle_days`` (by
    expected value, with the last activity date); ``push``: the rep's near-boundary accounts in
    zone B or C (or unzoned) by expected value, the ones a little effort could lift. Four queries.
    """
    since, _end = _day_bounds(today - timedelta(days=idle_days), today)
    recent = Activity.objects.filter(account_id=OuterRef("account_id"), occurred_at__gte=since)
    last = Activity.objects.filter(account_id=OuterRef("account_id")).order_by("-occurred_at").values("occurred_at")[:1]
    mine = SnapshotRow.objects.filter(snapshot=snapshot, owner_id=rep_id)
    idle_qs = mine.filter(zone="A").exclude(Exists(recent))
    push_qs = mine.filter(near_boundary=True).exclude(zone="A")
    order: list[Any] = [F("expected_value").desc(nulls_last=True), "account_id"]
    return {
        "idle": list(
            idle_qs.annotate(last_activity=Subquery(last)).order_by(*order).values(*ROW_FIELDS, "last_activity")[:limit]
        ),
        "idle_total": idle_qs.count(),
        "push": list(push_qs.order_by(*order).values(*ROW_FIELDS)[:limit]),
        "push_total": push_qs.count(),
        "idle_days": idle_days,
    }


def account_overview(
    account_id: int, *, snapshot: Snapshot | None, deals: int = 50, activities: int = 20
) -> dict[str, Any] | None:
    """Return one account with owner, its row in ``snapshot``, latest deals and activities: four queries.

    None when the account does not exist.
    """
    account = Account.objects.select_related("owner", "owner__team").filter(pk=account_id).first()
    if account is None:
        return None
    row = None
    if snapshot is not None:
        row = SnapshotRow.objects.filter(snapshot=snapshot, account_id=account_id).values(*ROW_FIELDS).first()
    deal_rows = list(
        Deal.objects.filter(account_id=account_id).select_related("owner", "lost_reason").order_by("-opened_on", "-id")[:deals]
    )
    activity_rows = list(
        Activity.objects.filter(account_id=account_id).select_related("rep", "deal").order_by("-occurred_at", "-id")[:activities]
    )
    return {"account": account, "row": row, "deals": deal_rows, "activities": activity_rows}


def open_deal_dates(*, today: date, rep_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Count the open deals no current period's pipeline shows as the rep would expect. One query.

    ``undated``: no expected close date, so in no period at all; ``overdue``: expected before
    ``today`` and still open, so they stay in a past period until the rep moves the date (real
    CRMs are full of these; the targets page asks for them to be re-dated).
    """
    qs = Deal.objects.filter(status=Deal.Status.OPEN)
    if rep_ids is not None:
        qs = qs.filter(owner_id__in=rep_ids)
    # Only status and expected_close_on are read, so the (status, expected_close_on) index answers alone.
    counts = qs.aggregate(
        open=Count("*"),
        dated=Count("expected_close_on"),
        overdue=Count("expected_close_on", filter=Q(expected_close_on__lt=today)),
    )
    return {"undated": int(counts["open"] - counts["dated"]), "overdue": int(counts["overdue"] or 0)}


# -- the team page at scale: one sequential pass per aggregate ------------------------------------


def snapshot_scan(snapshot: Snapshot) -> QuerySet[SnapshotRow]:
    """Return a snapshot's rows bounded by their id range, so the database reads them in one pass.

    ``snapshot_create`` writes a snapshot's rows in one statement, so their ids form one block.
    Bounding the ids lets SQLite and PostgreSQL read that block sequentially instead of probing
    the (snapshot, ...) indexes row by row: at 100,000 rows on SQLite a SUM over the block took
    12 ms against 170 ms through the index. ``snapshot_id + 0`` keeps the answer exact even if
    two blocks ever interleave, without letting the planner prefer the snapshot index. One
    query (the id bounds, read from the index alone; remembered on the snapshot object).
    """
    cached: tuple[int, int] | None = getattr(snapshot, "_row_id_bounds", None)  # rows never change: once per object
    if cached is None:
        bounds = SnapshotRow.objects.filter(snapshot=snapshot).aggregate(lo=Min("id"), hi=Max("id"))
        cached = (int(bounds["lo"] or 0), int(bounds["hi"] or -1))
        snapshot._row_id_bounds = cached  # type: ignore[attr-defined]
    lo, hi = cached
    return SnapshotRow.objects.annotate(_sid=F("snapshot_id") + 0).filter(_sid=snapshot.pk, id__gte=lo, id__lte=hi)


def team_matrix_scan(snapshot: Snapshot) -> TeamMatrix:
    """:func:`team_matrix` of the whole team in one sequential pass over the snapshot's rows.

    Groups by one small integer cell code (price band × 3 + probability band; 9 and above when a
    band is missing, i.e. unzoned) rather than by three text columns: on SQLite at 100,000 rows
    74 ms against 106 ms, and 100 ms for nine conditional sums. A zoned row's zone is the grid's
    zone of its cell (the snapshot's criteria made it so). Two queries (id bounds, the pass).
    """
    rank = {b: i for i, b in enumerate(BANDS)}
    code = Case(*(When(price_band=b, then=Value(3 * i)) for b, i in rank.items()), default=Value(9)) + Case(
        *(When(probability_band=b, then=Value(i)) for b, i in rank.items()), default=Value(9)
    )
    agg = {
        int(k): (int(n), float(ev or 0))
        for k, n, ev in snapshot_scan(snapshot)
        .annotate(cell=code)
        .values("cell")
        .annotate(n=Count("id"), ev=Sum("expected_value"))
        .order_by()
        .values_list("cell", "n", "ev")
    }
    return _matrix(
        snapshot.criteria.grid, lambda pb, qb: agg.get(3 * rank[pb] + rank[qb], (0, 0.0)), sum(n for n, _ev in agg.values())
    )


def scatter_sample(snapshot: Snapshot, *, zoned: int, max_points: int = 3000) -> dict[str, Any]:
    """:func:`scatter_points` in one pass: every k-th account id of the ``zoned`` zoned accounts.

    ``zoned`` is the number of zoned accounts (from the matrix), which sets k. Two queries (the id
    bounds of :func:`snapshot_scan`, then the points).
    """
    return _scatter(snapshot, snapshot_scan(snapshot).exclude(zone=""), total=zoned, max_points=max_points)


def rep_breakdown_page(snapshot: Snapshot, *, page: int = 1, per_page: int = 50) -> tuple[list[dict[str, Any]], RowPage]:
    """:func:`rep_breakdown` for one page of owners (by name), unowned accounts on the last page.

    Three queries: count and page of the reps owning rows in the snapshot (index probes), then
    their aggregates through the (snapshot, owner, zone) index. Returns (rows, paging info).
    """
    owners = Rep.objects.filter(Exists(SnapshotRow.objects.filter(snapshot=snapshot, owner_id=OuterRef("pk"))))
    total = owners.count()
    page, per_page, start = _paging(total, page, per_page)
    last = max(1, math.ceil(total / per_page))
    reps = list(owners.order_by("name", "id").values("id", "name", "tier")[start : start + per_page])
    ids = [r["id"] for r in reps]
    where = Q(owner_id__in=ids) | Q(owner_id__isnull=True) if page == last else Q(owner_id__in=ids)
    agg = {
        r["owner_id"]: r
        for r in SnapshotRow.objects.filter(where, snapshot=snapshot).values("owner_id").annotate(**_rep_aggregates()).order_by()
    }
    people: list[dict[str, Any]] = [dict(r) for r in reps]
    if None in agg:
        people.append({"id": None, "name": None, "tier": None})
    rows = [_rep_row(agg[rep["id"]], rep) for rep in people if rep["id"] in agg]
    return rows, RowPage([], total, page, per_page)
