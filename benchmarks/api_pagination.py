"""Time the API's list endpoints on a large portfolio (default 1,000,000 accounts).

Fills the database given by DATABASE_URL (PostgreSQL or SQLite) with N synthetic accounts, one
deal and one activity each, using one INSERT ... SELECT per table (seconds, not the demo
generator's realism), then times each request in-process through Django's test client with a
bearer token, and prints a Markdown table: median of 5 runs and the SQL queries per request.

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_api_bench .venv/bin/python -m benchmarks.api_pagination
    .venv/bin/python -m benchmarks.api_pagination --accounts 1000000   # SQLite under KOKYAKU_DATA_DIR
    ... --compare-fetch   # also time one joined query against ids-then-rows for a page

The fill runs only when the database holds fewer bench accounts than asked (re-runs only time).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kokyaku.crm.models import Account, Rep, Team  # noqa: E402
from kokyaku.users.roles import Role  # noqa: E402
from kokyaku.users.services import api_token_create, user_create  # noqa: E402

REPS = 30
INDUSTRIES = ["manufacturing", "it", "retail", "finance", "logistics"]
REGIONS = ["Kanto", "Kansai", "Chubu", "Kyushu"]
BUYER_TYPES = ["visionary", "pragmatist", "conservative", "skeptic", "unknown"]


def _case(expr: str, values: list[str]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"CASE ({expr}) % {len(values)} {whens} END"


def fill(n: int) -> None:
    """Insert bench reps, then n accounts, n deals and n activities with INSERT ... SELECT."""
    pg = connection.vendor == "postgresql"
    with transaction.atomic():
        teams = [Team.objects.get_or_create(name=f"Bench {i}")[0] for i in range(3)]
        reps = Rep.objects.bulk_create(
            Rep(external_id=f"BR-{i:03d}", name=f"Bench Rep {i:03d}", team=teams[i % 3], tier="strong" if i % 3 else "developing")
            for i in range(REPS)
        )
    rep_ids = [r.pk for r in reps]
    assert rep_ids == list(range(rep_ids[0], rep_ids[0] + REPS)), "rep ids must be contiguous for the fill"
    base = rep_ids[0]
    if pg:
        seq = f"generate_series(1::bigint, {n}) AS s(i)"
        ext = "'BA-' || lpad(i::text, 7, '0')"
        name = "'Bench ' || md5(i::text)"
        now = "now()"
        opened = "date '2023-01-01' + (a.id % 1000)::int"
        closed = "date '2023-01-01' + (a.id % 1000)::int + 45"
        occurred = "timestamptz '2024-01-01 09:00+09' + (a.id % 1000) * interval '1 day'"
        prefix = ""
    else:
        seq = "seq"
        ext = "'BA-' || printf('%07d', i)"
        name = "'Bench ' || lower(hex(randomblob(8)))"
        now = "datetime('now')"
        opened = "date('2023-01-01', '+' || (a.id % 1000) || ' days')"
        closed = "date('2023-01-01', '+' || (a.id % 1000 + 45) || ' days')"
        occurred = "datetime('2024-01-01 00:00:00', '+' || (a.id % 1000) || ' days')"
        prefix = f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}) "  # noqa: S608 - constants and ints only
    status = "CASE a.id % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'won' ELSE 'lost' END"
    steps = [
        (
            "accounts",
            f"""{prefix}INSERT INTO crm_account (external_id, name, industry, region, employees, annual_revenue,
                owner_id, buyer_type, created_at, updated_at)
            SELECT {ext}, {name}, {_case("i", INDUSTRIES)}, {_case("i * 7", REGIONS)}, 10 + (i * 7919) % 5000,
                ((i * 104729) % 1000000) * 1000, {base} + i % {REPS}, {_case("i * 31", BUYER_TYPES)}, {now}, {now}
            FROM {seq}""",  # noqa: S608 - constants and ints only
        ),
        (
            "deals",
            f"""INSERT INTO crm_deal (external_id, account_id, owner_id, name, product, amount, currency, stage, status,
                probability, opened_on, closed_on, lost_reason_id, lost_note)
            SELECT 'BD-' || a.id, a.id, a.owner_id, 'Bench deal', 'Cloud ERP', (a.id * 7727 % 10000) * 1000, 'JPY', '',
                {status}, NULL, {opened}, CASE WHEN a.id % 3 = 0 THEN NULL ELSE {closed} END, NULL, ''
            FROM crm_account a WHERE a.external_id LIKE 'BA-%'""",  # noqa: S608 - constants and ints only
        ),
        (
            "activities",
            f"""INSERT INTO crm_activity (external_id, account_id, rep_id, deal_id, kind, occurred_at, minutes, note)
            SELECT NULL, a.id, a.owner_id, NULL, {_case("a.id", ["visit", "call", "email", "meeting", "proposal"])},
                {occurred}, 5 + a.id % 90, ''
            FROM crm_account a WHERE a.external_id LIKE 'BA-%'""",  # noqa: S608 - constants and ints only
        ),
    ]
    # The SQL is assembled from the constants above and integers only (no outside input).
    for label, sql in steps:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        print(f"filled {label} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(client: Client, path: str, runs: int = 5) -> tuple[float, int, int]:
    """Return (median ms, queries, rows) for GET path; the first run warms caches and is not counted."""
    client.get(path)
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return statistics.median(times), len(ctx.captured_queries), len(response.json().get("items", [None]))


def compare_fetch() -> None:
    """Time one page read as one joined query against ids first, then rows by id (interleaved runs)."""
    from kokyaku.crm import selectors
    from kokyaku.lib.pagination import ids_of, rows_of

    cases: dict[str, Callable[[], QuerySet[Any]]] = {
        "accounts by name": lambda: selectors.account_list(),
        "accounts by -annual_revenue": lambda: selectors.account_list(ordering="-annual_revenue"),
        "accounts of team 2": lambda: selectors.account_list(where=selectors.accounts_of_team(Team.objects.order_by("id")[1].pk)),
        "deals by -opened_on": lambda: selectors.deal_list(),
        "activities by -occurred_at": lambda: selectors.activity_list(),
    }
    print(f"\n{connection.vendor}: 51 rows, median of 5 interleaved runs\n")
    print("| page | one joined query ms | ids then rows ms |")
    print("| --- | ---: | ---: |")
    for name, make in cases.items():
        one, two = [], []
        for _ in range(5):
            started = time.perf_counter()
            list(make()[:51])
            one.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            qs = make()
            rows_of(qs, ids_of(qs[:51]))
            two.append((time.perf_counter() - started) * 1000)
        print(f"| {name} | {statistics.median(one):.1f} | {statistics.median(two):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--compare-fetch", action="store_true", help="also compare one joined query with ids-then-rows")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    have = Account.objects.filter(external_id__startswith="BA-").count()
    if have < args.accounts:
        if have:
            sys.exit(f"the database holds {have} bench accounts; use a fresh database for {args.accounts}")
        fill(args.accounts)
    user = User.objects.filter(username="bench").first() or user_create(
        username="bench", password=secrets.token_urlsafe(16), role=Role.MANAGER
    )
    _token, plain = api_token_create(user=user, name="bench")
    client = Client(headers={"Authorization": f"Bearer {plain}"}, SERVER_NAME="localhost")
    rep = Rep.objects.filter(external_id="BR-007").get()
    account = Account.objects.filter(external_id="BA-0500000").first() or Account.objects.filter(external_id="BA-0000001").get()
    paths = [
        "/api/accounts?limit=50",
        "/api/accounts?limit=500",
        "/api/accounts?limit=50&offset=10000",
        f"/api/accounts?limit=50&offset={Account.objects.count() // 2}",
        "/api/accounts?limit=50&count=true",
        f"/api/accounts?limit=50&owner={rep.pk}",
        f"/api/accounts?limit=50&team={rep.team_id}",
        "/api/accounts?limit=50&buyer_type=skeptic",
        "/api/accounts?limit=50&industry=it&region=Kanto",
        "/api/accounts?limit=50&q=BA-04242",
        "/api/accounts?limit=50&ordering=-annual_revenue",
        f"/api/accounts/{account.pk}",
        "/api/deals?limit=50",
        "/api/deals?limit=50&status=won&min_amount=5000000",
        "/api/deals?limit=50&closed_from=2024-01-01&closed_to=2024-03-31",
        f"/api/deals?limit=50&account={account.pk}",
        "/api/deals?limit=50&ordering=-amount",
        "/api/activities?limit=50",
        f"/api/activities?limit=50&rep={rep.pk}&since=2024-06-01&until=2024-07-01",
        f"/api/activities?limit=50&account={account.pk}",
        "/api/reps?limit=50",
    ]
    total = Account.objects.count()
    # A cursor half-way down the name order, as a client following `next` links would hold it.
    deep = client.get(f"/api/accounts?limit=50&offset={total // 2 - 50}").json()["next_cursor"]
    paths.insert(4, f"/api/accounts?limit=50&cursor={deep}")
    print(f"\n{connection.vendor}, {total:,} accounts\n")
    print("| request | median ms | queries | rows |")
    print("| --- | ---: | ---: | ---: |")
    for path in paths:
        ms, queries, rows = timed(client, path)
        shown = path if "cursor=" not in path else path.split("cursor=")[0] + f"cursor=<row {total // 2:,}>"
        print(f"| `{shown}` | {ms:.1f} | {queries} | {rows} |")
    if args.compare_fetch:
        compare_fetch()


if __name__ == "__main__":
    main()
