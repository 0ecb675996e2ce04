"""The web stays responsive while heavy jobs run: a 1,000,000-account snapshot and a 1,000,000-row web import.

    export DEBUG=1 KOKYAKU_DATA_DIR=/tmp/kk-bench-jobs
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_jobs_bench
    export KOKYAKU_BROKER_URL=redis://127.0.0.1:6379/7     # the Celery engine; leave unset for the worker thread
    .venv/bin/python -m benchmarks.jobs_web --prepare                      # fill once: 1M accounts, 3M deals, the CSV
    .venv/bin/python -m benchmarks.jobs_web --accounts 1000000 --rows 1000000

``--prepare`` migrates the database, fills it with ``--accounts`` accounts and three deals each on average
(``benchmarks.snapshot.fill``, server-side), computes a first snapshot (so that the baseline's pages
read a full portfolio, as they do while the jobs run), makes the manager ``bench`` and writes the
seeded deals CSV of ``--rows`` rows (``benchmarks.import_deals.generate``: 20,000 accounts, 200 reps,
92 MB at 1M). ``--csv`` imports another file, e.g. the same rows under new ids
(``sed '2,$s/^D/E/'``), to import a million new deals again on the same database.

The run starts the real servers as subprocesses: gunicorn (``kokyaku serve``'s command line, 3 workers)
and, with a broker, one Celery worker (``--pool=solo``, as docs/jobs.md deploys it); without a broker
the job runs in a worker thread of one gunicorn process. Logged in as ``bench`` over HTTP, it then

1. GETs the pages below one after the other (a pause of ``--pause`` s between requests, like a few
   people working) for ``--baseline`` s with nothing running: the baseline;
2. starts the snapshot with the "Compute snapshot now" button (POST /jobs/start/snapshot/), and GETs
   the same pages until the job has ended;
3. uploads the CSV on the import page (multipart POST, as a browser), presses Import (POST
   /imports/<upload>/import/), and GETs the pages until that job has ended.

Pages: the job's progress fragment as the progress bar polls it (or the import's), the jobs list,
the team page and the accounts list of the portfolio. For each phase it prints, per page, the
requests, median, p95 and slowest time (client side, over HTTP), the time the start request took
to answer, the job's queue wait and run time, the load average before and after, and the CPU
seconds each phase cost (from /proc: the web servers, the Celery worker, this database's PostgreSQL
backends; parallel query workers are not counted).
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from kokyaku.crm.models import Account  # noqa: E402
from kokyaku.jobs.models import Job  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "bench", "bench-jobs-pass"
PAGES = ["/jobs/", "/portfolio/", "/portfolio/accounts/"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Browser:
    """A logged-in client over HTTP with cookies and the CSRF token, redirects not followed."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def csrf(self) -> str:
        return next(str(c.value) for c in self.jar if c.name == "csrftoken")

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        req = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + "/", **(headers or {})})  # noqa: S310 - http://127.0.0.1 only
        try:
            with self.opener.open(req, timeout=300) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303):
                return exc.code, exc.headers.get("Location", ""), ""
            raise

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf()}).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path: str, fields: dict[str, str], name: str, file: Path) -> tuple[int, str, str]:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in {**fields, "csrfmiddlewaretoken": self.csrf()}.items()
        ]
        disposition = f'Content-Disposition: form-data; name="{name}"; filename="{file.name}"'
        head = f"--{boundary}\r\n{disposition}\r\nContent-Type: text/csv\r\n\r\n"
        body = b"".join(parts) + head.encode() + file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        return self.request(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self) -> None:
        self.request("/login/")
        status, _location, _ = self.post("/login/", {"username": USER, "password": PASSWORD})
        assert status == 302, "login failed"


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def csv_path(rows: int) -> Path:
    return Path(f"/tmp/kk_jobs_bench_deals_{rows}.csv")  # noqa: S108 - a throw-away benchmark input


def prepare(accounts: int, rows: int) -> None:
    from benchmarks.import_deals import generate
    from benchmarks.snapshot import fill

    call_command("migrate", verbosity=0)
    if Account.objects.count() != accounts:
        began = time.perf_counter()
        fill(accounts, 3 * accounts)
        print(f"filled {accounts:,} accounts, {3 * accounts:,} deals in {time.perf_counter() - began:.0f} s")
    user, _ = User.objects.get_or_create(username=USER, defaults={"is_staff": True, "is_superuser": True})
    user.is_superuser = user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    from kokyaku.portfolio.models import Snapshot
    from kokyaku.portfolio.services import snapshot_create

    if not Snapshot.objects.exists():  # the pages then read a full portfolio from the baseline on (like with like)
        began = time.perf_counter()
        snapshot_create(actor=None)
        print(f"computed the first snapshot in {time.perf_counter() - began:.0f} s")
    path = csv_path(rows)
    if not path.exists():
        generate(rows, path)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")


def start_servers(port: int, workers: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ}
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kokyaku.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "120", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    started = [web]
    if settings.BROKER_URL:
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "kokyaku.jobs.worker",
                    "worker",
                    "--pool=solo",
                    "--loglevel=warning",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
            )
        )
    return started


def wait_up(client: Browser) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            client.request("/login/")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


class Waits(threading.Thread):
    """Every 0.5 s, what the database's active sessions wait on (Lock, IO, CPU when none): where the time goes."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: collections.Counter[str] = collections.Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connections

        conn = connections.create_connection("default")
        try:
            with conn.cursor() as c:
                while not self.stop.wait(0.5):
                    c.execute(
                        "SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU'), left(query, 40) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
                    )
                    for wait, query in c.fetchall():
                        self.seen[f"{wait} | {query}"] += 1
        finally:
            conn.close()

    def show(self) -> None:
        self.stop.set()
        self.join(timeout=5)
        print("  database sessions seen (every 0.5 s): " + "; ".join(f"{n}× {k}" for k, n in self.seen.most_common(6)))


def _cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


class CpuMeter(threading.Thread):
    """CPU seconds a phase cost, from /proc every 0.5 s: the web servers (gunicorn's master and workers),
    the Celery worker, and this database's PostgreSQL backends (a backend that exits keeps its last reading)."""

    def __init__(self, servers: list[subprocess.Popen[bytes]]) -> None:
        super().__init__(daemon=True)
        self.roots = {"web": servers[0].pid, **({"worker": servers[1].pid} if len(servers) > 1 else {})}
        self.database = str(settings.DATABASES["default"]["NAME"])
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stop = threading.Event()
        self.began = time.perf_counter()
        self._read(first=True)

    def _groups(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if cmdline.startswith("postgres: ") and f" {self.database} " in cmdline:
                found[pid] = "PostgreSQL backends"
            for name, root in self.roots.items():
                if pid == root or _ppid(pid) == root:
                    found[pid] = name
        return found

    def _read(self, *, first: bool = False) -> None:
        for pid, group in self._groups().items():
            seconds = _cpu(pid)
            if seconds is None:
                continue
            if first:
                self.first[pid] = seconds
            self.last[pid] = (group, seconds)

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self._read()

    def show(self) -> None:
        self.stop.set()
        self.join(timeout=5)
        self._read()
        wall = time.perf_counter() - self.began
        groups: dict[str, float] = collections.defaultdict(float)
        for pid, (group, seconds) in self.last.items():
            groups[group] += seconds - self.first.get(pid, 0.0)
        total = sum(groups.values())
        parts = "; ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(groups.items()))
        print(f"  CPU over {wall:.0f} s of wall time: {parts}; total {total:.1f} CPU s ({total / wall:.2f} cores)")


def sample(
    client: Browser, pages: list[str], *, until: float | None = None, job: int | None = None, pause: float
) -> dict[str, list[float]]:
    """GET the pages in turn until ``until`` (monotonic) or until ``job`` has ended; seconds per page."""
    times: dict[str, list[float]] = {p: [] for p in pages}
    while True:
        for page in pages:
            headers = {"HX-Request": "true"} if "/jobs/" in page and page != "/jobs/" else {}
            began = time.perf_counter()
            status, _, _ = client.request(page, headers=headers)
            times[page].append(time.perf_counter() - began)
            assert status == 200, (page, status)
            time.sleep(pause)
        if until is not None and time.monotonic() > until:
            return times
        if job is not None and Job.objects.filter(pk=job, state__in=Job.ACTIVE).count() == 0:
            return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def show(label: str, times: dict[str, list[float]]) -> None:
    print(f"  {label}")
    for page, values in times.items():
        name = re.sub(r"/\d+/", "/<id>/", page)
        print(f"    {name:32} n={len(values):4}  median {1000 * statistics.median(values):7.0f} ms"
              f"  p95 {1000 * p95(values):7.0f} ms  max {1000 * max(values):7.0f} ms")  # fmt: skip


def job_id(location: str) -> int:
    found = re.search(r"/jobs/(\d+)/", location)
    assert found, location
    return int(found.group(1))


def report_job(pk: int, answered: float) -> None:
    job = Job.objects.get(pk=pk)
    assert job.state == Job.State.DONE, (job.state, job.error)
    wait = (job.started_at - job.created_at).total_seconds() if job.started_at else 0.0
    print(f"  job {pk} ({job.kind}, {job.engine}): start request answered in {1000 * answered:.0f} ms; "
          f"queued {wait:.1f} s; ran {job.seconds:.1f} s; result {job.result}")  # fmt: skip


def run(args: argparse.Namespace) -> None:
    path = Path(args.csv) if args.csv else csv_path(args.rows)
    assert path.exists(), "run --prepare first"
    Job.objects.filter(state__in=Job.ACTIVE).update(state=Job.State.FAILED, error="benchmark reset")
    servers = start_servers(args.port, args.workers)
    client = Browser(f"http://127.0.0.1:{args.port}")
    engine = "celery" if settings.BROKER_URL else "thread"
    try:
        wait_up(client)
        client.login()
        print(f"engine {engine}; {Account.objects.count():,} accounts; web: gunicorn × {args.workers}; load {load()}")
        meter = CpuMeter(servers)
        meter.start()
        show("baseline (nothing running)", sample(client, PAGES, until=time.monotonic() + args.baseline, pause=args.pause))
        meter.show()
        if "snapshot" in args.jobs:
            print(f"snapshot job; load before {load()}")
            began = time.perf_counter()
            status, location, _ = client.post("/jobs/start/snapshot/", {})
            answered = time.perf_counter() - began
            pk = job_id(location)
            waits, meter = Waits(), CpuMeter(servers)
            waits.start()
            meter.start()
            show("while the snapshot runs", sample(client, [f"/jobs/{pk}/", *PAGES], job=pk, pause=args.pause))
            waits.show()
            meter.show()
            report_job(pk, answered)
            print(f"  load after {load()}")
        if "import" in args.jobs:
            print(f"import job ({args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB); load before {load()}")
            began = time.perf_counter()
            status, review, _ = client.upload("/imports/", {"kind": "deals", "mapping": "generic"}, "file", path)
            uploaded = time.perf_counter() - began
            assert status == 302, status
            began = time.perf_counter()
            status, location, _ = client.post(review + "import/", {})
            answered = time.perf_counter() - began
            pk = job_id(location)
            print(f"  upload (POST /imports/, {path.stat().st_size / 1e6:.0f} MB) took {uploaded:.1f} s")
            waits, meter = Waits(), CpuMeter(servers)
            waits.start()
            meter.start()
            show("while the import runs", sample(client, [f"/imports/jobs/{pk}/", *PAGES], job=pk, pause=args.pause))
            waits.show()
            meter.show()
            report_job(pk, answered)
            print(f"  load after {load()}")
    finally:
        for server in reversed(servers):
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--prepare", action="store_true", help="fill the database and write the CSV, then stop")
    parser.add_argument(
        "--jobs", default="snapshot,import", help="which jobs to run after the baseline ('' for the baseline only)"
    )
    parser.add_argument("--csv", help="the file to import (default: the one --prepare wrote); e.g. the same rows under new ids")
    parser.add_argument("--port", type=int, default=8716)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--baseline", type=float, default=15.0)
    parser.add_argument("--pause", type=float, default=0.1)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database of your own"
    if args.prepare:
        prepare(args.accounts, args.rows)
    else:
        run(args)


if __name__ == "__main__":
    main()
