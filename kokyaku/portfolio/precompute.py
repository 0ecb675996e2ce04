"""What a snapshot stores beyond its rows so the manager's pages need not aggregate them (issue 18).

* The team's grid: accounts and expected value per cell (``Snapshot.matrix_cells``), one GROUP BY
  over the new rows; home and the team page read it instead of scanning the snapshot.
* The effort sums: minutes and won revenue per month, rep and zone (below).

The effort page's default range is the last twelve months up to today: at a million accounts that
is 5 million activities, joined to the snapshot's zones and summed per rep on every request (5 s).
The snapshot sums them once, per month, rep and zone, from ``effort_window(as_of)`` up to its as-of
day, in INSERT ... SELECT statements (the same queries the page runs live, grouped by month too; the team's
rows are the reps' added up);
the page then adds up whole months from here and aggregates live only the days after the as-of day
(and a partial first month). What was logged afterwards for the stored months counts from the next
snapshot on, as every other snapshot figure does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection

from kokyaku.portfolio.models import EffortMonth, Snapshot
from kokyaku.portfolio.selectors.effort import Money, activity_minutes, effort_window, money_now, won_revenue
from kokyaku.portfolio.selectors.snapshots import snapshot_scan
from kokyaku.portfolio.selectors.team import matrix_cells

_COLUMNS = "snapshot_id, kind, per_rep, rep_id, zone, month, minutes, revenue"


def _insert(snapshot: Snapshot, kind: int, per_rep: bool, qs: Any) -> tuple[str, list[Any]]:
    """INSERT the rows of one aggregate query (``rep_id``?, ``month``, ``zone``, the sum) for ``snapshot``."""
    sql, params = qs.query.sql_with_params()
    rep = "q.rep_id" if per_rep else "NULL"
    value = "q.minutes, NULL" if kind == EffortMonth.Kind.MINUTES else "NULL, q.revenue"
    return (
        f"INSERT INTO {EffortMonth._meta.db_table} ({_COLUMNS})"  # noqa: S608 (the table name and Django's SQL)
        f" SELECT %s, %s, %s, {rep}, q.zone, q.month, {value} FROM ({sql}) q",
        [snapshot.pk, kind, per_rep, *params],
    )


def store_summaries(snapshot: Snapshot, *, money: Money | None) -> None:
    """Store ``snapshot``'s grid cells and effort sums (its rows and their id bounds must be written).

    ``money``: the company currency and the conversion rates the snapshot read, its won revenue
    converted with them; None only for migration portfolio 0009, which runs before the rates exist
    (crm 0012): amounts as stored, as every figure was then.
    """
    fresh = Snapshot.objects.only("id", "as_of", "row_id_min", "row_id_max").get(pk=snapshot.pk)
    cells = matrix_cells(snapshot_scan(fresh))
    start = effort_store(fresh, money=money)
    Snapshot.objects.filter(pk=fresh.pk).update(matrix_cells={str(k): [n, ev] for k, (n, ev) in cells.items()}, effort_from=start)


def restore_summaries(snapshot: Snapshot) -> None:
    """Compute ``snapshot``'s grid cells and effort sums again (as the data stand now), replacing those stored."""
    EffortMonth.objects.filter(snapshot=snapshot).delete()
    store_summaries(snapshot, money=money_now())


def effort_store(snapshot: Snapshot, *, money: Money | None) -> date:
    """Store the effort sums of ``snapshot`` (read with its row id bounds): three INSERT ... SELECT; return the first month.

    Per rep and for the team (the team's rows are what the page reads for its chart and totals,
    whatever the number of reps). None may be stored with it yet (``restore_summaries`` deletes
    them first); the caller records the first month in ``snapshot.effort_from``. Revenue is in
    the company currency at the snapshot's rates ``money``
    (:func:`~kokyaku.portfolio.selectors.effort.won_revenue`), as its unit prices: a changed rate
    shows from the next snapshot (or ``restore_summaries``, at the rates of then).
    """
    fresh = snapshot
    start, end = effort_window(fresh.as_of), fresh.as_of
    table = EffortMonth._meta.db_table
    statements = [
        _insert(fresh, EffortMonth.Kind.MINUTES, True, activity_minutes(fresh, start, end, ["rep_id", "month"])),
        _insert(fresh, EffortMonth.Kind.REVENUE, True, won_revenue(fresh, start, end, ["rep_id", "month"], money=money)),
        # The team's: the reps' sums added up (exact: integers and decimals), not the activities again.
        (
            f"INSERT INTO {table} ({_COLUMNS}) SELECT snapshot_id, kind, %s, NULL, zone, month, SUM(minutes), SUM(revenue)"  # noqa: S608 (the table name)
            f" FROM {table} WHERE snapshot_id = %s AND per_rep = %s GROUP BY snapshot_id, kind, zone, month",
            [False, fresh.pk, True],
        ),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
    return start
