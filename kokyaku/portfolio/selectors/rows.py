"""Snapshot rows as typed records, and pages of them: the accounts tables, the review lists, a rep's day."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db.models import F, Q, QuerySet, Subquery

from kokyaku.domain.portfolio.review import ZONE_RANK
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors.snapshots import snapshot_key, snapshot_scan

T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One account in a snapshot: its owner then, unit price, probability, expected value, bands and zone."""

    account_id: int
    account_external_id: str
    account_name: str
    owner_id: int | None
    owner: str | None  # the owner's name
    unit_price: Decimal | None
    win_probability: float | None
    probability_source: str
    expected_value: Decimal | None
    price_band: str
    probability_band: str
    zone: str  # "A", "B", "C" or "" (unzoned)
    near_boundary: bool
    buyer_type: str
    lifecycle: str
    previous_zone: str | None = None  # review lists: the zone in the earlier snapshot
    last_activity: datetime | None = None  # a rep's day: the account's latest activity

    @property
    def direction(self) -> str:
        """ "up" (toward A) or "down" since the earlier snapshot; "" outside the review lists."""
        if self.previous_zone is None:
            return ""
        return "up" if ZONE_RANK[self.zone] < ZONE_RANK[self.previous_zone] else "down"


# Row attribute -> the ORM path it is read from.
ROW_PATHS: dict[str, str] = {
    "account_id": "account_id",
    "account_external_id": "account__external_id",
    "account_name": "account__name",
    "owner_id": "owner_id",
    "owner": "owner__name",
    "unit_price": "unit_price",
    "win_probability": "win_probability",
    "probability_source": "probability_source",
    "expected_value": "expected_value",
    "price_band": "price_band",
    "probability_band": "probability_band",
    "zone": "zone",
    "near_boundary": "near_boundary",
    "buyer_type": "buyer_type",
    "lifecycle": "lifecycle",
}
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
BY_EXPECTED_VALUE: list[Any] = [F("expected_value").desc(nulls_last=True), "account_id"]


def rows_of(qs: QuerySet[SnapshotRow], *extra: str, start: int = 0, stop: int | None = None) -> list[Row]:
    """Read ``qs[start:stop]`` (ordered by the caller) as :class:`Row` records; ``extra`` are annotations kept by name."""
    paths = list(ROW_PATHS.items())
    values = qs.values(*ROW_PATHS.values(), *extra)[start:stop]
    return [Row(**{a: r[p] for a, p in paths}, **{e: r[e] for e in extra}) for r in values]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of records and the paging numbers."""

    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


RowPage = Page[Row]


def paging(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    """Return (page, per_page, start): per_page clamped to 1-500, the page to the existing ones."""
    per_page = max(1, min(int(per_page), 500))
    page = max(1, min(int(page), max(1, math.ceil(total / per_page))))
    return page, per_page, (page - 1) * per_page


def _order(sort: str) -> list[Any]:
    """The ORDER BY of ``sort`` (a key of :data:`SORTS`, "-" for descending; unknown: expected value, descending)."""
    key = sort.lstrip("-")
    desc = sort.startswith("-") if key in SORTS else True
    column = SORTS.get(key, "expected_value")
    return [F(column).desc(nulls_last=True) if desc else F(column).asc(nulls_last=True), "account_id"]


def _sorted_page(
    qs: QuerySet[SnapshotRow],
    *,
    sort: str,
    page: int,
    per_page: int,
    total: int | None = None,
    ids_from: QuerySet[SnapshotRow] | None = None,
) -> RowPage:
    """Return one page of ``qs`` sorted by ``sort`` (a key of :data:`SORTS`, "-" for descending): two queries.

    Unknown keys fall back to expected value, descending; empty values sort last either way.
    Sorting the bare rows and joining accounts and reps only to the page's ids keeps page one of a
    200k-account snapshot at a top-N sort instead of joining every row before sorting. ``total``:
    the number of rows when the caller knows it (no COUNT then); ``ids_from``: the same rows as
    ``qs`` through another path, to read the page's ids from (an index in the sort's order).
    """
    order = _order(sort)
    if total is None:
        total = qs.count()
    page, per_page, start = paging(total, page, per_page)
    ids = (ids_from if ids_from is not None else qs).order_by(*order).values("id")[start : start + per_page]
    rows = rows_of(SnapshotRow.objects.filter(id__in=Subquery(ids)).order_by(*order))
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def rows_iter(qs: QuerySet[SnapshotRow], *extra: str, chunk_size: int = 2000) -> Iterator[Row]:
    """Stream ``qs`` (ordered by the caller) as :class:`Row` records, ``chunk_size`` rows fetched at a time.

    A server-side cursor on PostgreSQL: memory stays flat however many rows there are (the exports).
    """
    paths = list(ROW_PATHS.items())
    for r in qs.values(*ROW_PATHS.values(), *extra).iterator(chunk_size=chunk_size):
        yield Row(**{a: r[p] for a, p in paths}, **{e: r[e] for e in extra})


def portfolio_filtered(
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
    scan: bool = True,
) -> QuerySet[SnapshotRow]:
    """A snapshot's rows with the accounts table's filters applied (unordered).

    Empty filter values filter nothing; ``zone`` "" is the unzoned rows. One owner's rows come
    through the (snapshot, owner, zone) index; the whole team's through :func:`snapshot_scan`
    (one sequential pass instead of a probe per row), unless ``scan`` is off or there is a
    ``search``: then by plain ``snapshot_id``, so that PostgreSQL can start from the accounts whose
    name matches (their trigram indexes, crm migration 0010: 0.1 ms instead of a 300 ms join of
    every row) or walk the snapshot's rows in expected-value order (``snaprow_value``).
    """
    if owner_id is not None:
        qs = SnapshotRow.objects.filter(snapshot=snapshot, owner_id=owner_id)
    elif search or not scan:
        qs = SnapshotRow.objects.filter(snapshot=snapshot)
    else:
        qs = snapshot_scan(snapshot)
    if zone is not None:
        qs = qs.filter(zone=zone)
    exact = {"buyer_type": buyer_type, "lifecycle": lifecycle, "price_band": price_band, "probability_band": probability_band}
    qs = qs.filter(**{k: v for k, v in exact.items() if v})
    if near_boundary is not None:
        qs = qs.filter(near_boundary=near_boundary)
    if search:
        qs = qs.filter(Q(account__name__icontains=search) | Q(account__external_id__icontains=search))
    return qs


COUNT_SECONDS = 24 * 3600  # a snapshot's rows never change: the count only leaves the cache to make room


def _count(snapshot: Snapshot, qs: QuerySet[SnapshotRow], filters: dict[str, Any]) -> int:
    """How many rows ``qs`` (``snapshot``'s rows under ``filters``) holds, without a query when it can.

    The whole team unfiltered: the grid's cells stored with the snapshot. Filters on the rows' own
    columns (zone, bands, owner, ...): counted once, then from Django's cache, keyed by the snapshot
    (its id, creation time and row ids: a new snapshot is a new key) and the filters. A snapshot's
    rows are written once and never changed, so the count stays true. A search reads account names,
    which change: always counted.
    """
    if filters.get("search"):
        return qs.count()
    used = {k: v for k, v in filters.items() if v not in (None, "") or (k == "zone" and v == "")}  # zone "": the unzoned
    if not used and snapshot.matrix_cells is not None:
        return sum(int(n) for n, _ev in snapshot.matrix_cells.values())
    key = f"kokyaku-rows-count:{snapshot_key(snapshot)}:" + ",".join(f"{k}={used[k]!r}" for k in sorted(used))
    total = cache.get(key)
    if not isinstance(total, int):
        total = qs.count()
        cache.set(key, total, COUNT_SECONDS)
    return total


def portfolio_table(
    snapshot: Snapshot, *, sort: str = "-expected_value", page: int = 1, per_page: int = 50, **filters: Any
) -> RowPage:
    """Return one page of a snapshot's rows, filtered (:func:`portfolio_filtered`) and sorted: at most three queries.

    ``sort`` is a key of :data:`SORTS`, "-" for descending. The count: see :func:`_count` (none for
    the unfiltered team, once per snapshot and filters otherwise). The default order (expected value,
    descending) reads its page's ids from the ``snaprow_value`` index instead of sorting every row.
    """
    qs = portfolio_filtered(snapshot, **filters)
    by_value = sort == "-expected_value" or sort.lstrip("-") not in SORTS  # unknown keys sort by value too
    ids_from = portfolio_filtered(snapshot, **filters, scan=False) if by_value else None
    return _sorted_page(qs, sort=sort, page=page, per_page=per_page, total=_count(snapshot, qs, filters), ids_from=ids_from)


@dataclass(frozen=True)
class ZoneHistoryEntry:
    """An account's row in one snapshot."""

    snapshot_id: int
    as_of: date
    zone: str
    unit_price: Decimal | None
    win_probability: float | None
    probability_source: str
    expected_value: Decimal | None
    near_boundary: bool
    lifecycle: str
    owner: str | None


def account_zone_history(account_id: int, *, limit: int = 60) -> list[ZoneHistoryEntry]:
    """Return an account's rows across snapshots, oldest first: one query."""
    rows = (
        # snapshot_id IN (...) lets the database probe the unique (snapshot, account) index once per
        # snapshot instead of scanning: there is deliberately no (account, snapshot) index.
        SnapshotRow.objects.filter(account_id=account_id, snapshot_id__in=Snapshot.objects.values("id"))
        .order_by("-snapshot__as_of", "-snapshot_id")
        .values(
            "snapshot_id", "zone", "unit_price", "win_probability", "probability_source", "expected_value",
            "near_boundary", "lifecycle", as_of=F("snapshot__as_of"), owner_name=F("owner__name"),
        )[:limit]
    )  # fmt: skip
    entries = [
        ZoneHistoryEntry(
            snapshot_id=r["snapshot_id"], as_of=r["as_of"], zone=r["zone"], unit_price=r["unit_price"],
            win_probability=r["win_probability"], probability_source=r["probability_source"],
            expected_value=r["expected_value"], near_boundary=r["near_boundary"], lifecycle=r["lifecycle"],
            owner=r["owner_name"],
        )
        for r in rows
    ]  # fmt: skip
    return entries[::-1]
