"""Time every manager page and the heavy API lists server-side, and the snapshot with 1 and 12 snapshots kept.

    createdb kk_bench && export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_bench
    .venv/bin/kokyaku migrate
    .venv/bin/kokyaku demo --accounts 100000 --seed 0 --as-of 2026-11-30 --snapshots 2
    psql kk_bench -c 'VACUUM ANALYZE'
    .venv/bin/python -m benchmarks.pages --runs 10            # the pages
    .venv/bin/python -m benchmarks.pages --snapshots 12       # then: the snapshot, 1 vs 12 kept

Uses the database as it finds it (load the demo first, as above). Logged in as the demo manager,
it GETs each page once to warm up, then ``--runs`` times, and prints the median and fastest server
time (request in, response out, in this process: Django test client, full middleware), the median
CPU time of a request (this process and its PostgreSQL backend, from /proc), the page's
SQL query count and HTML size, the load average and whether PostgreSQL's JIT is on. The last
entry saves a criteria version with a percentile the latest snapshot did not store (price high at
the 50th), prints its first GET apart (the one that computes the cut-offs) and deletes the version
and its kept cut-offs afterwards. ``--slowest N`` prints each page's N slowest SQL queries (last run;
COPY reads, such as the targets sums, are not captured).

``--snapshots N`` instead times ``snapshot_create`` with the snapshots the database holds (once as
of the day before the oldest, once as of the latest day: that one reads the latest's zones and
counts its migration against it), then adds snapshots (each as of one day earlier than the oldest)
until N are kept and times both again;
the SQL floor (one GROUP BY over the open deals per account) is printed for comparison. The
snapshots it adds are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _setup() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _jit() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        return connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('jit')")
        version, jit = cursor.fetchone()
    return f"{version.split(' on ')[0]}, jit={jit}"


def _cpu() -> float:
    """CPU seconds so far of this process and its PostgreSQL backend (same machine: /proc; parallel workers not counted)."""
    from django.db import connection

    backend = 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time() + backend


def pages(runs: int, username: str, only: str = "", slowest: int = 0) -> int:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    from kokyaku.crm.models import Account, Activity, Deal, Rep
    from kokyaku.lib.pagination import MAX_OFFSET
    from kokyaku.portfolio.models import Snapshot
    from kokyaku.portfolio.selectors import snapshot_latest

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    snapshot = snapshot_latest()
    user = User.objects.filter(username=username).first()
    if snapshot is None or user is None:
        print("load the demo first (see the module docstring)", file=sys.stderr)
        return 1
    client = Client()
    client.force_login(user)
    activities = Activity.objects.count()
    deep = min(max(0, activities - 1000) // 100 * 100, MAX_OFFSET)  # the deepest offset the API takes
    from kokyaku.portfolio.forms import CriteriaForm
    from kokyaku.portfolio.models import Criteria

    current = Criteria.objects.order_by("-created_at", "-id").first() or Criteria()
    form = {k: v for k, v in CriteriaForm.initial_from(current.as_params()).items() if v is not None}
    changed = {**form, "price_high": "50"}  # a quantile rule the snapshot did not store: its cut-offs need the rows
    urls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("home", "/", None),
        ("review", "/portfolio/review/", None),
        ("effort", "/portfolio/effort/", None),
        ("targets", "/portfolio/targets/", None),
        ("criteria", "/portfolio/criteria/", None),
        ("team", "/portfolio/", None),
        ("accounts", "/portfolio/accounts/", None),
        ("API portfolio/effort per rep", "/api/portfolio/effort?start=2026-09-01&end=2026-11-30&per_rep=true", None),
        (f"API activities offset={deep:,}", f"/api/activities?offset={deep}", None),
        ("API activities cursor", "/api/activities", None),
        ("criteria preview (as stored)", "/portfolio/criteria/preview/", form),
        ("criteria preview (price high 50%)", "/portfolio/criteria/preview/", changed),
        # A version saved after the snapshot with a percentile it did not store (price high 50%): the
        # page's cut-offs need the rows once (the warm-up GET, printed), then are read back.
        ("criteria, new version (price high 50%)", "/portfolio/criteria/", None),
    ]
    print(
        f"{_jit()}: {Account.objects.count():,} accounts, {Deal.objects.count():,} deals, {activities:,} activities,"
        f" {Rep.objects.count():,} reps, {Snapshot.objects.count()} snapshots; {_load()}"
    )
    print(f"{'page':34} {'median':>9} {'fastest':>9} {'CPU':>9} {'queries':>8} {'size':>9}")

    def fetch(url: str, data: dict[str, Any] | None) -> Any:
        return client.get(url) if data is None else client.post(url, data)

    for name, url, data in urls:
        if only not in name:
            continue
        saved = _save_version({**current.as_params(), "price_high": 0.5}) if name.startswith("criteria, new") else None
        try:
            started = time.perf_counter()
            first = fetch(url, data)  # warm-up: templates, translations, the database's pages
            if saved is not None:
                print(f"{name:34} first GET (computes the cut-offs once): {(time.perf_counter() - started) * 1000:.0f} ms")
            _time_page(name, url, data, first, runs, slowest, fetch)
        finally:
            if saved is not None:
                _drop_version(saved)
    print(_load())
    return 0


def _save_version(params: dict[str, Any]) -> Any:
    from kokyaku.portfolio.models import Criteria

    params.pop("note", None)
    return Criteria.objects.create(**params, note="benchmarks/pages.py (deleted after)")


def _drop_version(saved: Any) -> None:
    from kokyaku.portfolio.models import SnapshotCutoff

    SnapshotCutoff.objects.filter(low=saved.price_low, high=saved.price_high, axis="price").delete()
    saved.delete()


def _time_page(name: str, url: str, data: dict[str, Any] | None, first: Any, runs: int, slowest: int, fetch: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if first.status_code != 200:
        print(f"{name:34} HTTP {first.status_code}", flush=True)
        return
    times, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), _cpu()
        fetch(url, data)
        times.append(time.perf_counter() - started)
        cpu.append(_cpu() - cpu_started)
    with CaptureQueriesContext(connection) as queries:
        response = fetch(url, data)
    size = len(response.content)
    print(
        f"{name:34} {statistics.median(times) * 1000:7.0f} ms {min(times) * 1000:7.0f} ms"
        f" {statistics.median(cpu) * 1000:7.0f} ms"
        f" {len(queries.captured_queries):8d} {size / 1024:7.0f} KB",
        flush=True,
    )
    for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:slowest]:
        print(f"    {float(query['time']) * 1000:7.0f} ms  {' '.join(query['sql'].split())[:400]}", flush=True)


def snapshots(keep: int) -> int:
    from datetime import timedelta

    from django.db import connection

    from kokyaku.portfolio.models import Snapshot
    from kokyaku.portfolio.services import snapshot_create

    def floor() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT account_id, SUM(amount), COUNT(*) FROM crm_deal WHERE status = 'open' GROUP BY account_id")
            cursor.fetchall()
        return time.perf_counter() - started

    def timed(label: str, *, latest: bool = False) -> None:
        # Before the oldest (no snapshot before it), or as of the latest day (counted against the latest).
        oldest, newest = Snapshot.objects.order_by("as_of").first(), Snapshot.objects.order_by("-as_of").first()
        as_of = (newest.as_of if latest else oldest.as_of - timedelta(days=1)) if oldest and newest else None
        started = time.perf_counter()
        made = snapshot_create(actor=None, as_of=as_of)
        seconds = time.perf_counter() - started
        added.append(made.pk)
        print(f"{label}: {made.account_count:,} accounts in {seconds:.2f} s; SQL floor {floor():.2f} s; {_load()}", flush=True)

    added: list[int] = []
    print(_jit())
    try:
        timed(f"with {Snapshot.objects.count()} kept")
        timed(f"as of the latest day, against the latest, with {Snapshot.objects.count()} kept", latest=True)
        while Snapshot.objects.count() < keep - 1:
            oldest = Snapshot.objects.order_by("as_of").first()
            made = snapshot_create(actor=None, as_of=oldest.as_of - timedelta(days=1) if oldest else None)
            added.append(made.pk)
        timed(f"with {Snapshot.objects.count()} kept")
        timed(f"as of the latest day, against the latest, with {Snapshot.objects.count()} kept", latest=True)
    finally:
        Snapshot.objects.filter(pk__in=added).delete()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--username", default="manager")
    parser.add_argument("--only", default="", help="time only the pages whose name contains this")
    parser.add_argument("--snapshots", type=int, default=0, help="time the snapshot with this many kept instead")
    parser.add_argument("--slowest", type=int, default=0, help="print this many of each page's slowest SQL queries (last run)")
    args = parser.parse_args()
    _setup()
    return snapshots(args.snapshots) if args.snapshots else pages(args.runs, args.username, args.only, args.slowest)


if __name__ == "__main__":
    sys.exit(main())
