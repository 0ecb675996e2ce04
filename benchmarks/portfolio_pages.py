"""Time the portfolio pages server-side (Django test client, full middleware) at 100,000 accounts.

    export KOKYAKU_DATA_DIR=/tmp/kk-pages-bench DEBUG=1        # or DATABASE_URL=postgres://...
    .venv/bin/kokyaku migrate
    .venv/bin/python -m benchmarks.portfolio_pages --accounts 100000 --runs 7

Uses the database as it finds it: if it holds no accounts, loads `kokyaku demo` with ``--accounts``
(seed 0); if it holds no snapshot, computes one. Then, logged in as the demo manager, it GETs the
team page (the target: at most 300 ms) and the other portfolio pages ``--runs`` times each after one
warm-up, and prints the median and fastest wall time per page and the page's SQL query count.
Times are server time: request in, response out, in this process (no network, no browser).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000, help="demo size when the database is empty")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--username", default="manager")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kokyaku.crm.models import Account, Deal
    from kokyaku.demo.services import demo_load
    from kokyaku.portfolio.models import SnapshotRow
    from kokyaku.portfolio.selectors import snapshot_latest
    from kokyaku.portfolio.services import snapshot_create

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if not Account.objects.exists():
        started = time.perf_counter()
        demo_load(actor=None, accounts=args.accounts, seed=0)
        print(f"loaded the demo: {args.accounts:,} accounts in {time.perf_counter() - started:.0f} s", flush=True)
    snapshot = snapshot_latest()
    if snapshot is None:
        started = time.perf_counter()
        snapshot = snapshot_create(actor=None)
        print(
            f"computed snapshot {snapshot.pk}: {snapshot.account_count:,} rows in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(f"no user {args.username!r}: load the demo (kokyaku demo)", file=sys.stderr)
        return 1
    client = Client()
    client.force_login(user)
    account_id = SnapshotRow.objects.filter(snapshot=snapshot, zone="A").values_list("account_id", flat=True).first()
    pages = [
        ("team", "/portfolio/"),
        ("accounts, one matrix cell", "/portfolio/accounts/?price_band=high&probability_band=high"),
        ("my portfolio", "/portfolio/mine/"),
        ("account", f"/portfolio/accounts/{account_id}/"),
        ("review", "/portfolio/review/"),
        ("home", "/"),
    ]
    rows = SnapshotRow.objects.filter(snapshot=snapshot).count()
    sizes = f"{Account.objects.count():,} accounts, {Deal.objects.count():,} deals"
    print(f"{connection.vendor}: {sizes}; snapshot {snapshot.pk} with {rows:,} rows")
    print(f"{'page':28} {'median':>8} {'fastest':>8} {'queries':>8}")
    for name, url in pages:
        first = client.get(url)  # warm-up: templates, translations, the database's pages
        if first.status_code != 200:
            print(f"{url} returned {first.status_code}", file=sys.stderr)
            return 1
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"{name:28} {statistics.median(times) * 1000:6.0f} ms {min(times) * 1000:6.0f} ms {len(queries.captured_queries):8d}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
