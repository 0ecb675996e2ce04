"""The team page: the 3×3 matrix, the scatter of unit price × probability, and the per-rep breakdown.

Each runs a fixed number of queries whatever the portfolio size; the whole team's aggregates read
the snapshot's rows in one sequential pass (:func:`snapshot_scan`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When

from kokyaku.crm.models import Rep
from kokyaku.domain.portfolio import BANDS, ZONES
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors.rows import Page, paging
from kokyaku.portfolio.selectors.snapshots import snapshot_scan


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

    @property
    def zoned(self) -> int:
        return self.total - self.unzoned


def matrix_layout(grid: dict[str, dict[str, str]], cell: Callable[[str, str], tuple[int, float]], total: int) -> TeamMatrix:
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


def matrix_cells(qs: QuerySet[SnapshotRow]) -> dict[int, tuple[int, float]]:
    """Accounts and summed expected value of ``qs`` per cell code (price band × 3 + probability band; 9+: unzoned): one query."""
    rank = {b: i for i, b in enumerate(BANDS)}
    code = Case(*(When(price_band=b, then=Value(3 * i)) for b, i in rank.items()), default=Value(9)) + Case(
        *(When(probability_band=b, then=Value(i)) for b, i in rank.items()), default=Value(9)
    )
    rows = qs.annotate(cell=code).values("cell").annotate(n=Count("id"), ev=Sum("expected_value")).order_by()
    return {int(k): (int(n), float(ev or 0)) for k, n, ev in rows.values_list("cell", "n", "ev")}


def team_matrix(snapshot: Snapshot, *, owner_id: int | None = None) -> TeamMatrix:
    """Count accounts and sum expected value per grid cell, for the team or one owner.

    Groups by one small integer cell code (price band × 3 + probability band; 9 and above when a
    band is missing, i.e. unzoned) rather than by three text columns: on SQLite at 100,000 rows
    74 ms against 106 ms, and 100 ms for nine conditional sums. A zoned row's zone is the grid's
    zone of its cell (the snapshot's criteria made it so). The team: read from the cells stored
    with the snapshot (``Snapshot.matrix_cells``, no query), else one sequential pass; one owner:
    the (snapshot, owner, zone) index (one query).
    """
    rank = {b: i for i, b in enumerate(BANDS)}
    stored = snapshot.matrix_cells if owner_id is None else None
    if stored is not None:  # counted when the snapshot was made: no query
        agg = {int(k): (int(n), float(ev)) for k, (n, ev) in stored.items()}
    else:
        agg = matrix_cells(
            snapshot_scan(snapshot) if owner_id is None else SnapshotRow.objects.filter(snapshot=snapshot, owner_id=owner_id)
        )
    return matrix_layout(
        snapshot.criteria.grid, lambda pb, qb: agg.get(3 * rank[pb] + rank[qb], (0, 0.0)), sum(n for n, _ev in agg.values())
    )


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__, 2.4x slower for 2,000 points
class ScatterPoint:
    account_id: int
    name: str
    owner: str | None
    unit_price: float
    win_probability: float
    expected_value: float
    zone: str
    near_boundary: bool


@dataclass(frozen=True)
class Scatter:
    """Zoned accounts to plot, ``total`` of them in the snapshot (``sampled`` when not all are shown)."""

    points: list[ScatterPoint]
    total: int
    sampled: bool
    thresholds: Mapping[str, float | None]


SCATTER_FIELDS = (
    "account_id", "account__name", "owner__name", "unit_price", "win_probability", "expected_value", "zone", "near_boundary",
)  # fmt: skip


def scatter_points(snapshot: Snapshot, *, zoned: int, max_points: int = 3000, owner_id: int | None = None) -> Scatter:
    """Return the zoned accounts for the scatter (unit price × probability), every k-th one when there are many.

    ``zoned`` is the number of zoned accounts (from the matrix), which sets k so that about
    ``max_points`` remain. Every k-th account id is deterministic, cheap in SQL and the same
    accounts from day to day. Two queries (the id bounds of :func:`snapshot_scan`, the points);
    one for a rep's own accounts (``owner_id``), through the (snapshot, owner) index.
    """
    step = max(1, math.ceil(zoned / max(1, max_points)))
    scope = snapshot_scan(snapshot) if owner_id is None else SnapshotRow.objects.filter(snapshot=snapshot, owner_id=owner_id)
    rows: QuerySet[SnapshotRow] = scope.exclude(zone="")
    if step > 1:
        rows = rows.annotate(bucket=F("account_id") % step).filter(bucket=0)
    points = [
        ScatterPoint(aid, name, owner, float(price), float(prob or 0.0), float(ev), zone, near)
        for aid, name, owner, price, prob, ev, zone, near in rows.values_list(*SCATTER_FIELDS)[: max_points * 2]
    ]
    return Scatter(points, zoned, step > 1, snapshot.thresholds)


@dataclass(frozen=True)
class RepBreakdown:
    """One owner's accounts in a snapshot: per zone, unzoned, near a boundary, dormant, and expected value."""

    owner_id: int | None
    owner: str | None  # the rep's name; None for the accounts nobody owns
    tier: str | None
    accounts: int
    zones: dict[str, int]
    unzoned: int
    near_boundary: int
    dormant: int
    expected_value: float
    expected_value_a: float


def _rep_aggregates() -> dict[str, Any]:
    """Per owner: accounts, per zone, unzoned, near-boundary, dormant, expected value (all, zone A)."""
    return {
        "total": Count("id"),
        **{f"zone_{z}": Count("id", filter=Q(zone=z)) for z in ZONES},
        "unzoned": Count("id", filter=Q(zone="")),
        "near": Count("id", filter=Q(near_boundary=True)),
        "ev": Sum("expected_value"),
        "ev_a": Sum("expected_value", filter=Q(zone="A")),
        "dormant": Count("id", filter=Q(lifecycle="dormant")),
    }


def _breakdown(r: Mapping[str, Any], rep: Mapping[str, Any]) -> RepBreakdown:
    """One row of the breakdown from :func:`_rep_aggregates` and the rep's id, name and tier."""
    return RepBreakdown(
        owner_id=r["owner_id"],
        owner=rep.get("name"),
        tier=rep.get("tier"),
        accounts=r["total"],
        zones={z: r[f"zone_{z}"] for z in ZONES},
        unzoned=r["unzoned"],
        near_boundary=r["near"],
        dormant=r["dormant"],
        expected_value=float(r["ev"] or 0),
        expected_value_a=float(r["ev_a"] or 0),
    )


def rep_breakdown(snapshot: Snapshot) -> list[RepBreakdown]:
    """Return every owner's breakdown, by owner name, unowned accounts last (the export's sheet).

    Two queries: the aggregate by owner id (no join, so the database hashes instead of sorting
    every row by name), then the reps' names.
    """
    rows = list(SnapshotRow.objects.filter(snapshot=snapshot).values("owner_id").annotate(**_rep_aggregates()).order_by())
    owner_ids = [r["owner_id"] for r in rows if r["owner_id"] is not None]
    reps: dict[int, dict[str, Any]] = {
        r["id"]: dict(r) for r in Rep.objects.filter(id__in=owner_ids).values("id", "name", "tier")
    }
    rows.sort(key=lambda r: (r["owner_id"] is None, str(reps.get(r["owner_id"], {}).get("name", "")), r["owner_id"] or 0))
    return [_breakdown(r, reps.get(r["owner_id"], {})) for r in rows]


def rep_breakdown_page(snapshot: Snapshot, *, page: int = 1, per_page: int = 50) -> Page[RepBreakdown]:
    """Return one page of owners' breakdowns (by name), the unowned accounts on the last page (the team page).

    Three queries: count and page of the reps owning rows in the snapshot (index probes), then
    their aggregates through the (snapshot, owner, zone) index: 16 ms instead of 334 ms for every
    rep at once (1,500 reps). The paging counts reps; the unowned line comes on top of them.
    """
    owners = Rep.objects.filter(Exists(SnapshotRow.objects.filter(snapshot=snapshot, owner_id=OuterRef("pk"))))
    total = owners.count()
    page, per_page, start = paging(total, page, per_page)
    last = max(1, math.ceil(total / per_page))
    reps: list[dict[str, Any]] = [
        dict(r) for r in owners.order_by("name", "id").values("id", "name", "tier")[start : start + per_page]
    ]
    ids = [r["id"] for r in reps]
    where = Q(owner_id__in=ids) | Q(owner_id__isnull=True) if page == last else Q(owner_id__in=ids)
    agg = {
        r["owner_id"]: r
        for r in SnapshotRow.objects.filter(where, snapshot=snapshot).values("owner_id").annotate(**_rep_aggregates()).order_by()
    }
    if None in agg:
        reps.append({"id": None, "name": None, "tier": None})
    return Page([_breakdown(agg[rep["id"]], rep) for rep in reps if rep["id"] in agg], total, page, per_page)
