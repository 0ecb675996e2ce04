"""Show and time the deal queries behind the targets page, the home page and the pipeline, with and without the indexes.

Runs, on the database in DATABASE_URL (fill it with ``kokyaku demo`` first):

- this fiscal year's won revenue (``crm.selectors.home_summary``'s SUM),
- ``portfolio.selectors.targets_view`` for a period (won per rep, the pipeline: open deals by
  ``expected_close_on``), and ``open_deal_dates``,

prints each deal query's plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) and the median
time of ``--runs`` calls. With ``--compare`` it then replays the same calls inside a transaction
that puts the old index back (``(status, closed_on)`` instead of the covering one, no
``(status, expected_close_on)``) and rolls it back, so both columns come from the same run:

    export DEBUG=1 KOKYAKU_DATA_DIR=/tmp/kk-bench DATABASE_URL=sqlite:////tmp/kk-bench/db.sqlite3
    .venv/bin/kokyaku migrate && .venv/bin/kokyaku demo --accounts 100000 --seed 3 --as-of 2026-11-20
    .venv/bin/python -m benchmarks.deal_indexes --today 2026-11-20 --period 2026-11 --compare
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from kokyaku.crm.models import CompanySettings, Deal  # noqa: E402
from kokyaku.crm.selectors import fiscal_year_bounds  # noqa: E402
from kokyaku.portfolio import selectors  # noqa: E402
from kokyaku.portfolio.periods import period_parse  # noqa: E402

NEW_INDEXES = ("crm_deal_status_closed_cover", "crm_deal_status_expected_idx")
OLD_INDEX = "CREATE INDEX crm_deal_status_bda7d6_idx ON crm_deal (status, closed_on)"


class _Rollback(Exception):
    pass


def _timed(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm the caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN {sql}")
            return [str(row[0]) for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [str(row[-1]) for row in cursor.fetchall()]


def _deal_queries(fn: Callable[[], Any]) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries if '"crm_deal"' in q["sql"]]


def _run(cases: dict[str, Callable[[], Any]], runs: int, *, plans: bool) -> dict[str, float]:
    out = {}
    for name, fn in cases.items():
        if plans:
            print(f"\n### {name}")
            for sql in _deal_queries(fn):
                print(f"\n    {sql[:400]}{' ...' if len(sql) > 400 else ''}")
                for line in _plan(sql):
                    print(f"      {line}")
        out[name] = _timed(fn, runs)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--today", type=date.fromisoformat, default=timezone.localdate())
    parser.add_argument("--period", default=None, help="targets period (default: the month of --today)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", action="store_true", help="also time the old (status, closed_on) index")
    args = parser.parse_args()
    period = period_parse(args.period or f"{args.today:%Y-%m}", start_month=4)

    company = CompanySettings.load()
    fy_start, fy_end = fiscal_year_bounds(today=args.today, start_month=company.fiscal_year_start_month)

    def won_revenue() -> Any:  # the SUM of crm.selectors.home_summary
        won = Deal.objects.filter(status=Deal.Status.WON, closed_on__gte=fy_start, closed_on__lt=fy_end)
        return won.filter(currency=company.currency).aggregate(total=Sum("amount"))["total"]

    cases: dict[str, Callable[[], Any]] = {
        "home: won revenue this fiscal year": won_revenue,
        f"targets_view {period.key} (targets, won per rep, pipeline, ...)": lambda: selectors.targets_view(
            start=period.start, end=period.end, accounts_per_rep=0
        ),
        "open_deal_dates (undated, overdue)": lambda: selectors.open_deal_dates(today=args.today),
    }
    print(f"{connection.vendor}: {Deal.objects.count():,} deals, period {period.key}, today {args.today}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_deal")  # fresh statistics for both runs alike
    new = _run(cases, args.runs, plans=True)
    old: dict[str, float] = {}
    if args.compare:
        print("\n## With the old index: (status, closed_on), nothing on expected_close_on")
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for name in NEW_INDEXES:
                    cursor.execute(f"DROP INDEX {name}")
                cursor.execute(OLD_INDEX)
                cursor.execute("ANALYZE crm_deal")
                old = _run(cases, args.runs, plans=True)
                raise _Rollback
        except _Rollback:
            pass
    print("\n| query | new indexes, median ms | old index, median ms |")
    print("| --- | ---: | ---: |")
    for name, ms in new.items():
        print(f"| {name} | {ms:.1f} | {old[name]:.1f} |" if name in old else f"| {name} | {ms:.1f} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
