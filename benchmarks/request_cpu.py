"""CPU per request for every URL of the `make load` mix (benchmarks/locustfile.py), in this process.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kokyaku_load   # the 100,000-account demo
    .venv/bin/python -m benchmarks.request_cpu --runs 10
    .venv/bin/python -m benchmarks.request_cpu --runs 10 --profile '/portfolio/accounts/[id]/'   # cProfile one route

The load test's throughput is bounded by CPU: every request costs Python time in a gunicorn worker
and time in its PostgreSQL backend, both on the same cores. Wall time moves with whatever else the
shared machine runs; CPU time moves far less, so this is the figure to compare before / after.

Runs with the production settings (``DEBUG`` off, the cached template loader), through the full
middleware stack (Django's test client, logged in as the demo ``manager`` and ``rep`` like the
Locust users), each route of the mix with the same kind of arguments Locust draws (random pages,
searches, account ids; fixed seed). Each (route, login) is asked once to warm up (the first request
of a worker also fills the per-snapshot caches), then ``--runs`` times with a different argument
each time. Printed per route: median wall ms, mean CPU ms of this process (Python), of the
PostgreSQL backend (``/proc/<pid>/stat``, same machine; parallel query off in that session, so that
a query's whole CPU is in the backend measured, unless ``--parallel``), their sum, and the SQL queries; then the mix
weighted as Locust weights its tasks: the CPU one average request costs, and what two cores can
serve at that cost.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (name as Locust reports it, Locust task weight, URL maker from a random source and account ids)
Route = tuple[str, int, Callable[[random.Random, list[int]], str]]
SEARCHES = ("Seiki", "Kogyo", "Shoji", "Denki", "Fuji", "Aoba", "Yamato", "Sangyo")  # as benchmarks/locustfile.py
ROUTES: list[Route] = [
    ("/portfolio/ (team)", 3, lambda r, ids: "/portfolio/"),
    ("/portfolio/accounts/?page=[n]", 3, lambda r, ids: f"/portfolio/accounts/?page={r.randint(1, 50)}"),
    ("/portfolio/accounts/?q=[text]", 2, lambda r, ids: f"/portfolio/accounts/?q={r.choice(SEARCHES)}"),
    ("/portfolio/mine/", 2, lambda r, ids: "/portfolio/mine/"),
    ("/portfolio/accounts/[id]/", 4, lambda r, ids: f"/portfolio/accounts/{r.choice(ids)}/"),
    ("/portfolio/review/", 1, lambda r, ids: "/portfolio/review/"),
    ("/api/accounts?offset=[n]", 4, lambda r, ids: f"/api/accounts?limit=50&offset={r.randrange(0, 5_000)}"),
    ("/api/accounts/[id]", 3, lambda r, ids: f"/api/accounts/{r.choice(ids)}"),
    ("/api/portfolio/rows", 2, lambda r, ids: "/api/portfolio/rows?limit=50"),
    ("/api/deals?account=[id]", 2, lambda r, ids: f"/api/deals?account={r.choice(ids)}"),
]


def _setup() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ["DEBUG"] = "0"  # production settings: what `kokyaku serve` runs
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    import django

    django.setup()


class Meter:
    """CPU seconds of this process and of its PostgreSQL backend, and the queries run, around one request."""

    def __init__(self, *, parallel: bool) -> None:
        from django.db import connection

        self.queries = 0
        connection.ensure_connection()
        self._pid: int | None = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if not parallel:  # every query's CPU in the one backend measured (parallel workers are other processes)
                    cursor.execute("SET max_parallel_workers_per_gather = 0")
                cursor.execute("SELECT pg_backend_pid()")
                self._pid = int(cursor.fetchone()[0])

    def backend_cpu(self) -> float:
        if self._pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self._pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the backend is on another machine: its CPU is not counted
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def count(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


def measure(client: Any, url: str, *, parallel: bool = False) -> tuple[float, float, float, int]:
    """(wall ms, process CPU ms, backend CPU ms, queries) of one GET; fails on an answer other than 200."""
    from django.db import connection

    meter = Meter(parallel=parallel)
    with connection.execute_wrapper(meter.count):
        b0, c0, w0 = meter.backend_cpu(), time.process_time(), time.perf_counter()
        response = client.get(url)
        w1, c1, b1 = time.perf_counter(), time.process_time(), meter.backend_cpu()
    if response.status_code != 200:
        raise SystemExit(f"request_cpu: GET {url} answered {response.status_code}")
    return (w1 - w0) * 1000, (c1 - c0) * 1000, (b1 - b0) * 1000, meter.queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="measured requests per route and login")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cores", type=int, default=2, help="for the capacity line: cores serving requests")
    parser.add_argument(
        "--parallel", action="store_true", help="let PostgreSQL run parallel query workers (their CPU is then not counted)"
    )
    parser.add_argument("--profile", default="", help="a route name: cProfile its measured requests, print the top 30")
    args = parser.parse_args()
    _setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from kokyaku.crm.models import Account

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():  # the manifest {% static %} reads, as `serve` makes it
        call_command("collectstatic", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    top = Account.objects.order_by("id").values_list("id", flat=True)
    ids = [top[offset] for offset in rng.sample(range(min(9_000, top.count())), 200)]  # like the Locust users' ids
    clients = {}
    for username in ("manager", "rep"):
        user = User.objects.filter(username=username).first()
        if user is None:
            print("request_cpu: load the demo first (benchmarks/load.py says how)", file=sys.stderr)
            return 2
        clients[username] = Client()
        clients[username].force_login(user)
    load_before = os.getloadavg()
    print(f"{Account.objects.count():,} accounts on {connection.vendor}; {args.runs} runs per route and login; "
          f"load average {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}\n")  # fmt: skip
    print("| route | weight | wall ms | Python CPU ms | PostgreSQL CPU ms | CPU ms | queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    weighted = weights = 0.0
    profiler = cProfile.Profile() if args.profile else None
    for name, weight, make in ROUTES:
        samples: list[tuple[float, float, float, int]] = []
        for client in clients.values():
            measure(client, make(rng, ids), parallel=args.parallel)  # warm up: code, templates, the per-snapshot caches
            for _run in range(args.runs):
                url = make(rng, ids)
                if profiler is not None and name == args.profile:
                    profiler.enable()
                samples.append(measure(client, url, parallel=args.parallel))
                if profiler is not None:
                    profiler.disable()
        # CPU: the mean (the backend's is counted in clock ticks of 10 ms, which only a mean resolves)
        wall, cpu, db = statistics.median(s[0] for s in samples), *(statistics.mean(s[i] for s in samples) for i in (1, 2))
        queries = statistics.median(s[3] for s in samples)
        print(f"| `{name}` | {weight} | {wall:.0f} | {cpu:.0f} | {db:.0f} | {cpu + db:.0f} | {queries:g} |")
        weighted += weight * statistics.mean(s[1] + s[2] for s in samples)
        weights += weight
    per_request = weighted / weights
    after = os.getloadavg()
    print(f"\nthe Locust mix: {per_request:.0f} ms of CPU per request (Python + PostgreSQL, weighted mean), "
          f"so {args.cores} cores serve at most {args.cores * 1000 / per_request:.0f} requests/s; "
          f"load average after {after[0]:.2f} / {after[1]:.2f} / {after[2]:.2f}")  # fmt: skip
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
