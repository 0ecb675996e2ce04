"""Time the home page (GET / as the demo rep) against an existing demo database, read-only.

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1          # or DATABASE_URL=postgres://...
    .venv/bin/kokyaku migrate && .venv/bin/kokyaku demo --accounts 100000
    .venv/bin/python benchmarks/web_home.py --runs 7

Reports the median and fastest render of the home view (the home summary, the role look-ups and
the template; no middleware, so no session is written) and the number and slowest of its SQL
queries. A script, not a test: it only reads, so it can run against another benchmark's database.
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
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from kokyaku.crm.models import Account, Activity, Deal
    from kokyaku.web.views import home

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(f"no user {args.username!r}: load the demo first (kokyaku demo)", file=sys.stderr)
        return 1
    sizes = f"{Account.objects.count():,} accounts, {Deal.objects.count():,} deals, {Activity.objects.count():,} activities"

    def get() -> HttpResponse:
        request = RequestFactory().get("/", HTTP_HOST="localhost")
        request.user = User.objects.get(pk=user.pk)  # a fresh user each time: no cached rep or permissions
        return home(request)

    get()  # warm the caches: templates, translations, the database's pages
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        response = get()
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            print(f"the home view returned {response.status_code}", file=sys.stderr)
            return 1
    with CaptureQueriesContext(connection) as queries:
        get()
    print(f"{connection.vendor}: {sizes}")
    print(
        f"home view as {args.username}: median {statistics.median(times) * 1000:.0f} ms, "
        f"fastest {min(times) * 1000:.0f} ms over {args.runs} runs; {len(queries.captured_queries)} queries"
    )
    for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]:
        print(f"  {float(query['time']) * 1000:6.0f} ms  {query['sql'][:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
