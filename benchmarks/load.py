"""`make load`: Locust against `kokyaku serve` (gunicorn, production settings), bounded in time, on 127.0.0.1 only.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kokyaku_load
    .venv/bin/kokyaku migrate && .venv/bin/kokyaku demo --accounts 100000 --seed 3
    make load                                  # 50 users, 60 s; LOAD_USERS=.. LOAD_SECONDS=.. to change
    .venv/bin/python -m benchmarks.load --users 50 --seconds 60 --workers 3

It refuses a database that is not PostgreSQL or holds fewer than ``--min-accounts`` accounts (say
how to load the demo), starts `kokyaku serve` on 127.0.0.1:``--port`` with DEBUG off and a fresh
SECRET_KEY, waits until it answers, runs benchmarks/locustfile.py headless for ``--seconds``
(Locust binds no port of its own headless), stops the server, and prints per route and in total:
requests, failures, throughput, p50 / p95 / p99, the machine's load average before and after, and
the CPU the server's processes used per request (Linux /proc; benchmarks/request_cpu.py splits it by route
and adds PostgreSQL's).
Exit 1 when any request failed. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _count_accounts(env: dict[str, str]) -> tuple[str, int]:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kokyaku.settings'); django.setup();"
        "from django.db import connection; from kokyaku.crm.models import Account;"
        "print(connection.vendor, Account.objects.count())"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"load: cannot read the database: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    vendor, count = done.stdout.split()
    return vendor, int(count)


def _wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"load: the server stopped (exit {server.returncode}) before answering")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our own 127.0.0.1 server
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise SystemExit(f"load: {url} did not answer within {timeout:.0f} s")


def _login(host: str, username: str) -> tuple[object, str]:
    """An opener logged in as ``username`` and its session cookie."""
    import http.cookiejar
    import re
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{host}/login/", timeout=120).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None, "no CSRF token on the login page"
    form = {"username": username, "password": "kokyaku-demo", "csrfmiddlewaretoken": token.group(1)}
    request = urllib.request.Request(  # noqa: S310 - our own 127.0.0.1 server
        f"{host}/login/", data=urllib.parse.urlencode(form).encode(), headers={"Referer": f"{host}/login/"}
    )
    opener.open(request, timeout=120).read()
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    assert session, f"could not log in as {username}"
    return opener, session


def _warm_up(host: str, workers: int) -> str:
    """Log in as the demo manager and rep, read every route a few times (each gunicorn worker loads its code
    and data first); return their sessions for the Locust users (KOKYAKU_LOAD_SESSIONS), so that the measure is
    of the pages and the API, not of 50 simultaneous password hashings."""
    opener, manager = _login(host, "manager")
    _rep_opener, rep = _login(host, "rep")
    paths = [
        "/portfolio/", "/portfolio/accounts/", "/portfolio/accounts/?q=Seiki", "/portfolio/mine/", "/portfolio/review/",
        "/api/accounts?limit=50", "/api/portfolio/rows?limit=50", "/api/deals?account=1", "/portfolio/accounts/1/",
    ]  # fmt: skip
    for _round in range(2 * workers):
        for path in paths:
            with contextlib.suppress(urllib.error.HTTPError):  # a 404 for account 1 is fine: the code is loaded
                opener.open(f"{host}{path}", timeout=120).read()  # type: ignore[attr-defined]
    return f"manager={manager},rep={rep}"


def _session_cpu(session: int) -> float:
    """CPU seconds (user + system) used so far by the processes of ``session``: the gunicorn master and its workers."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[3]) == session:  # field 6 of stat (the session id), counted after the command name
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _report(stats: Path, seconds: int, users: int, before: tuple[float, ...], after: tuple[float, ...]) -> tuple[int, int]:
    rows = list(csv.DictReader(stats.open(encoding="utf-8")))
    print(f"\n{users} users, {seconds} s; load average before {before[0]:.2f} / {before[1]:.2f} / {before[2]:.2f}, "
          f"after {after[0]:.2f} / {after[1]:.2f} / {after[2]:.2f}\n")  # fmt: skip
    print("| route | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    failures = total = 0
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "**all**" if row["Name"] == "Aggregated" else f"`{row['Type']} {row['Name']}`"
        print(
            f"| {name} | {int(row['Request Count']):,} | {int(row['Failure Count']):,} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
        if row["Name"] == "Aggregated":
            failures, total = int(row["Failure Count"]), int(row["Request Count"])
    return failures, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load lasts (then everything stops)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    parser.add_argument("--min-accounts", type=int, default=100_000)
    parser.add_argument("--allow-sqlite", action="store_true", help="measure SQLite too (the target is PostgreSQL)")
    parser.add_argument("--csv", type=Path, default=None, help="keep Locust's CSV files with this prefix")
    args = parser.parse_args()

    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": secrets.token_hex(32), "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    env.setdefault("PYTHONPATH", str(ROOT))
    vendor, accounts = _count_accounts(env)
    if vendor != "postgresql" and not args.allow_sqlite:
        print("load: DATABASE_URL must point at PostgreSQL (postgres://...); --allow-sqlite to measure SQLite", file=sys.stderr)
        return 2
    if accounts < args.min_accounts:
        print(
            f"load: the database holds {accounts:,} accounts, fewer than {args.min_accounts:,}: "
            f"run `kokyaku demo --accounts {args.min_accounts}` into an empty database first (or --min-accounts)",
            file=sys.stderr,
        )
        return 2
    kokyaku = [sys.executable, "-m", "kokyaku.cli"]
    serve = [*kokyaku, "serve", "--host", "127.0.0.1", "--port", str(args.port), "--workers", str(args.workers)]
    server = subprocess.Popen(serve, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True)
    host = f"http://127.0.0.1:{args.port}"
    try:
        _wait_until_up(f"{host}/login/", server)
        sessions = _warm_up(host, args.workers)
        print(f"load: {accounts:,} accounts on {vendor}; `kokyaku serve` ({args.workers} workers) on {host}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            prefix = args.csv or Path(tmp) / "load"
            before = os.getloadavg()
            cpu_before = _session_cpu(server.pid)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            locust = [
                sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
                "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.seconds}s",
                "--host", host, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
            ]  # fmt: skip
            locust_env = {**os.environ, "KOKYAKU_LOAD_SESSIONS": sessions}
            subprocess.run(locust, cwd=ROOT, env=locust_env, check=False, timeout=args.seconds + 120)
            after = os.getloadavg()
            cpu = _session_cpu(server.pid) - cpu_before
            done = resource.getrusage(resource.RUSAGE_CHILDREN)
            locust_cpu = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime
            failures, total = _report(Path(f"{prefix}_stats.csv"), args.seconds, args.users, before, after)
            print(f"\nthe server's processes (gunicorn, Python; PostgreSQL not counted: benchmarks/request_cpu.py measures both) "
                  f"used {cpu:.1f} s of CPU for {total:,} requests: {cpu * 1000 / max(1, total):.0f} ms per request; "
                  f"Locust itself {locust_cpu:.1f} s")  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
