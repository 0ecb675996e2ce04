"""Time the home page (GET / as the demo rep) against an existing demo database.

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1          # or DATABASE_URL=postgres://...
    .venv/bin/kokyaku migrate && .venv/bin/kokyaku demo --accounts 100000
    .venv/bin/python benchmarks/web_home.py --runs 7

Reports the median and fastest full request (middleware, session, the home summary, template)
and the number and slowest of the SQL queries. A script, not a test: it only reads.
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
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--username", default="rep")
    parser.add_argument("--password", default="kokyaku-demo")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kokyaku.crm.models import Account, Activity, Deal

    client = Client(HTTP_HOST="localhost")
    if not client.login(username=args.username, password=args.password):
        print(f"cannot log in as {args.username!r}: load the demo first (kokyaku demo)", file=sys.stderr)
        return 1
    sizes = f"{Account.objects.count():,} accounts, {Deal.objects.count():,} deals, {Activity.objects.count():,} activities"
    client.get("/")  # warm the caches: templates, translations, the database's pages
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        response = client.get("/")
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            print(f"GET / returned {response.status_code}", file=sys.stderr)
            return 1
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    print(f"{connection.vendor}: {sizes}")
    print(
        f"GET / as {args.username}: median {statistics.median(times) * 1000:.0f} ms, "
        f"fastest {min(times) * 1000:.0f} ms over {args.runs} runs; {len(queries.captured_queries)} queries"
    )
    for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]:
        print(f"  {float(query['time']) * 1000:6.0f} ms  {query['sql'][:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
