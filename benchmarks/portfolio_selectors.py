"""Time the portfolio selectors the team pages call, on the database in DATABASE_URL.

Takes a snapshot first if there is none, then prints the median of 5 calls and the SQL queries
of each selector. Fill the database with ``benchmarks.snapshot`` (or ``kokyaku demo``) first:

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_snapshot_bench_small .venv/bin/python -m benchmarks.portfolio_selectors
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kokyaku.portfolio import selectors  # noqa: E402
from kokyaku.portfolio.models import SnapshotRow  # noqa: E402
from kokyaku.portfolio.services import snapshot_create  # noqa: E402


def timed(fn: Callable[[], Any]) -> tuple[float, int]:
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, len(ctx.captured_queries)


def main() -> int:
    snapshot = selectors.snapshot_latest() or snapshot_create(actor=None, as_of=date(2026, 6, 30))
    owner = SnapshotRow.objects.filter(snapshot=snapshot).exclude(owner=None).values_list("owner_id", flat=True).first()
    zoned = SnapshotRow.objects.filter(snapshot=snapshot).exclude(zone="").count()
    cases: dict[str, Callable[[], Any]] = {
        "team_matrix": lambda: selectors.team_matrix(snapshot),
        "team_matrix (one rep)": lambda: selectors.team_matrix(snapshot, owner_id=owner),
        "rep_breakdown": lambda: selectors.rep_breakdown(snapshot),
        "rep_breakdown_page (50 reps)": lambda: selectors.rep_breakdown_page(snapshot),
        "scatter_points (2,000)": lambda: selectors.scatter_points(snapshot, zoned=zoned, max_points=2000),
        "portfolio_table (page 1, by EV)": lambda: selectors.portfolio_table(snapshot),
        "portfolio_table (one rep, zone A)": lambda: selectors.portfolio_table(snapshot, owner_id=owner, zone="A"),
        "account_zone_history": lambda: selectors.account_zone_history(1),
    }
    print(f"{snapshot.account_count:,} accounts in snapshot {snapshot.pk}, {connection.vendor}")
    print("| selector | median ms | queries |")
    print("| --- | ---: | ---: |")
    for name, fn in cases.items():
        ms, queries = timed(fn)
        print(f"| {name} | {ms:.0f} | {queries} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
