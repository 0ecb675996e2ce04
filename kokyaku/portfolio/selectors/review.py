"""The review page: which accounts changed zone between two snapshots, and the from × to migration."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db.models import Count, F, Q, Sum

from kokyaku.domain.portfolio import UP_FROM, ZONES
from kokyaku.portfolio.models import MOVED, Snapshot, SnapshotMigration, SnapshotRow
from kokyaku.portfolio.selectors.rows import BY_EXPECTED_VALUE, Page, Row, RowPage, paging, rows_iter, rows_of
from kokyaku.portfolio.selectors.snapshots import row_in, snapshot_previous

# A move up (toward A; "" is unzoned, the lowest): the domain's rule.
_UP = reduce(operator.or_, (Q(zone=zone, previous_zone__in=below) for zone, below in UP_FROM.items()))


def _with_previous_zone(current: Snapshot, previous: Snapshot) -> Any:  # QuerySet[SnapshotRow], annotated
    """Return ``current``'s rows with ``previous_zone`` (None when not in ``previous``): a join, not a subquery per row."""
    rows = SnapshotRow.objects.filter(snapshot=current).annotate(_before=row_in(previous))
    return rows.annotate(previous_zone=F("_before__zone"))


def _moves(current: Snapshot, previous: Snapshot) -> Any:  # QuerySet[SnapshotRow], annotated
    """``current``'s rows whose zone changed since ``previous`` (accounts new in ``current`` are not moves).

    When ``current``'s migration was counted against ``previous``, its rows carry their zone there
    (``zone_before``): the moves are read from ``current``'s rows alone, through the moves index;
    otherwise both snapshots' rows are joined.
    """
    if current.migration_previous_id is not None and current.migration_previous_id == previous.pk:
        return SnapshotRow.objects.filter(MOVED, snapshot=current).annotate(previous_zone=F("zone_before"))
    return _with_previous_zone(current, previous).filter(previous_zone__isnull=False).exclude(zone=F("previous_zone"))


def _stored(snapshot: Snapshot, previous: Snapshot) -> Any | None:  # QuerySet[SnapshotMigration] | None
    """The migration counted when ``snapshot`` was made, if it was counted against ``previous``; else None (count live)."""
    if snapshot.migration_previous_id is None or snapshot.migration_previous_id != previous.pk:
        return None
    return SnapshotMigration.objects.filter(snapshot=snapshot, previous=previous).annotate(
        zone=F("to_zone"), previous_zone=F("from_zone")
    )


def zone_move_counts(snapshot: Snapshot, previous: Snapshot, *, owner_id: int | None = None) -> tuple[int, int]:
    """Return how many accounts (of ``owner_id``, or all) moved (up, down) since ``previous``: one query at most.

    Read from the counts stored with ``snapshot`` when they were made against ``previous`` (for
    every owner together, the totals stored on the snapshot itself: no query), else counted live
    over both snapshots' rows (both counts in one pass).
    """
    stored = _stored(snapshot, previous)
    if stored is not None and owner_id is None and snapshot.moves_up is not None and snapshot.moves_down is not None:
        return int(snapshot.moves_up), int(snapshot.moves_down)  # summed when the migration was counted: no query
    if stored is not None:
        moves = stored.filter(previous_zone__isnull=False).exclude(zone=F("previous_zone"))
        moves = moves if owner_id is None else moves.filter(owner_id=owner_id)
        counts = moves.aggregate(up=Sum("accounts", filter=_UP), down=Sum("accounts", filter=~_UP))
        return int(counts["up"] or 0), int(counts["down"] or 0)
    moves = _moves(snapshot, previous)
    moves = moves if owner_id is None else moves.filter(owner_id=owner_id)
    counts = moves.aggregate(up=Count("id", filter=_UP), down=Count("id", filter=~_UP))
    return int(counts["up"]), int(counts["down"])


def zone_moves(
    snapshot: Snapshot,
    *,
    previous: Snapshot | None = None,
    direction: str | None = None,
    owner_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    total: int | None = None,
) -> RowPage:
    """Return the accounts whose zone changed since the previous snapshot (the review list).

    ``direction``: "up" (toward A), "down", or None for both. Accounts that were not in the
    previous snapshot are not moves. Rows carry ``previous_zone`` (and so ``direction``); sorted
    by expected value. Two queries (three when ``previous`` is looked up; one when ``total``, the
    count of these moves, is known, e.g. from :func:`zone_move_counts`).
    """
    previous = previous or snapshot_previous(snapshot)
    if previous is None:
        return Page([], 0, 1, per_page)
    qs = _filtered(_moves(snapshot, previous), direction=direction, owner_id=owner_id)
    if total is None and _stored(snapshot, previous) is not None:
        up, down = zone_move_counts(snapshot, previous, owner_id=owner_id)
        total = up if direction == "up" else down if direction == "down" else up + down
    total = qs.count() if total is None else total
    page, per_page, start = paging(total, page, per_page)
    return Page(
        rows_of(qs.order_by(*BY_EXPECTED_VALUE), "previous_zone", start=start, stop=start + per_page), total, page, per_page
    )


def _filtered(qs: Any, *, direction: str | None, owner_id: int | None) -> Any:
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if direction == "up":
        qs = qs.filter(_UP)
    elif direction == "down":
        qs = qs.exclude(_UP)
    return qs


def zone_moves_iter(
    snapshot: Snapshot, *, previous: Snapshot, direction: str | None = None, owner_id: int | None = None
) -> Iterator[Row]:
    """Every move of :func:`zone_moves` (no paging), streamed by owner then expected value (the exports)."""
    qs = _filtered(_moves(snapshot, previous), direction=direction, owner_id=owner_id)
    yield from rows_iter(qs.order_by(F("owner__name").asc(nulls_last=True), *BY_EXPECTED_VALUE), "previous_zone")


@dataclass(frozen=True)
class Flow:
    """A non-empty cell of the migration: ``accounts`` went from ``from_zone`` to ``to_zone``."""

    from_zone: str
    to_zone: str
    accounts: int


@dataclass(frozen=True)
class MigrationCounts:
    """From-zone × to-zone counts between two snapshots ("" = unzoned / not present)."""

    before: Snapshot
    after: Snapshot
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def flows(self) -> list[Flow]:
        """Return the non-empty cells as (source, target, value) links, e.g. for a Sankey chart."""
        return [Flow(f, t, n) for f, row in self.counts.items() for t, n in row.items() if n > 0]


def zone_migration(before: Snapshot, after: Snapshot) -> MigrationCounts:
    """Count accounts per (zone in ``before``, zone in ``after``), aggregated in the database.

    Accounts new in ``after`` count from "" (not present). One query: read from the counts stored
    with ``after`` when they were made against ``before``, else counted live over both snapshots' rows.
    """
    labels = [*ZONES, ""]
    counts = {f: dict.fromkeys(labels, 0) for f in labels}
    stored = _stored(after, before)
    if stored is not None:
        qs = stored.values("previous_zone", "zone").annotate(n=Sum("accounts")).order_by()
    else:
        qs = _with_previous_zone(after, before).values("previous_zone", "zone").annotate(n=Count("id")).order_by()
    for r in qs:
        counts[r["previous_zone"] or ""][r["zone"]] += int(r["n"])
    return MigrationCounts(before, after, counts)


def zone_migration_accounts(
    before: Snapshot, after: Snapshot, *, from_zone: str, to_zone: str, page: int = 1, per_page: int = 50
) -> RowPage:
    """Return the accounts behind one cell of :func:`zone_migration` (rows of ``after``): two queries."""
    qs = _with_previous_zone(after, before).filter(zone=to_zone)
    qs = qs.filter(Q(previous_zone__isnull=True) | Q(previous_zone="")) if from_zone == "" else qs.filter(previous_zone=from_zone)
    total = qs.count()
    page, per_page, start = paging(total, page, per_page)
    rows = rows_of(qs.order_by("account__name", "account_id"), "previous_zone", start=start, stop=start + per_page)
    return Page(rows, total, page, per_page)
