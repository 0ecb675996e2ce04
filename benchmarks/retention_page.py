"""Time the retention page's selector (and the page) on the database in DATABASE_URL, at 100,000 accounts.

    export DEBUG=1 KOKYAKU_DATA_DIR=/tmp/kk-retention                   # or DATABASE_URL=postgres://...
    .venv/bin/kokyaku migrate
    .venv/bin/python -m benchmarks.retention_page --accounts 100000 --runs 5

Uses the database as it finds it: if it holds no accounts, loads ``kokyaku demo`` with
``--accounts`` (seed 3, as of 2026-11-20). Then prints, as the median and fastest of ``--runs``
calls, with the SQL queries of each:

* ``load_purchases``: the won deals read in one query (COPY on PostgreSQL);
* ``measure``: the whole uncached measurement (read, lifetimes, Kaplan–Meier, the sBG fit and its
  bootstrap, two cohort tables, two forecasts), as a cache miss costs;
* ``retention_report``, cached: what every later request for the same day costs;
* ``GET /retention/`` as the manager, with the cache cleared before each request and without.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000, help="demo size when the database is empty")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--username", default="manager")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kokyaku.crm.models import Account, Deal
    from kokyaku.crm.selectors import company_settings
    from kokyaku.demo.services import demo_load
    from kokyaku.retention.selectors import load_purchases, measure, retention_report

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if not Account.objects.exists():
        started = time.perf_counter()
        demo_load(actor=None, accounts=args.accounts, seed=3, as_of=AS_OF)
        print(f"loaded the demo: {args.accounts:,} accounts in {time.perf_counter() - started:.0f} s", flush=True)
    accounts = Account.objects.count()
    won = Deal.objects.filter(status=Deal.Status.WON, closed_on__lte=AS_OF).count()
    currency = company_settings().currency
    client = Client()
    client.force_login(User.objects.get(username=args.username))

    def timed(fn: Callable[[], Any], *, cold: bool = False) -> tuple[float, float, int, Any]:
        times, out, queries = [], None, 0
        fn()  # warm-up (imports, the first COPY)
        for _ in range(args.runs):
            if cold:
                cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - t)
            queries = len(ctx.captured_queries)
        return statistics.median(times) * 1000, min(times) * 1000, queries, out

    def page() -> int:
        response = client.get(f"/retention/?as_of={AS_OF.isoformat()}")
        assert response.status_code == 200, response.status_code
        return int(response.status_code)

    cases: list[tuple[str, Callable[[], Any], bool]] = [
        ("load_purchases (one query)", lambda: load_purchases(AS_OF, currency), False),
        ("measure (uncached: read and measure)", lambda: measure(AS_OF), False),
        ("retention_report, cache miss", lambda: retention_report(AS_OF), True),
        ("retention_report, cached", lambda: retention_report(AS_OF), False),
        ("GET /retention/, cache miss", page, True),
        ("GET /retention/, cached", page, False),
    ]
    load = os.getloadavg()
    print(
        f"{accounts:,} accounts, {won:,} purchases (won deals) up to {AS_OF}, {connection.vendor}; "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print("| step | median ms | fastest ms | queries |\n| --- | ---: | ---: | ---: |")
    record = None
    for name, fn, cold in cases:
        median, fastest, queries, out = timed(fn, cold=cold)
        record = out if name.startswith("measure") else record
        print(f"| {name} | {median:,.0f} | {fastest:,.0f} | {queries} |", flush=True)
    if record is not None:
        print(
            f"\n{record.customers:,} customers, {record.lost:,} lost; model {record.model} ({record.reason}), "
            f"{record.history_periods} whole quarters"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
