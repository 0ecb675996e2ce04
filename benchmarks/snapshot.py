"""Time a portfolio snapshot against the floor: one raw SQL query computing the same aggregates.

Fills its own PostgreSQL database with N accounts and M deals (default 1,000,000 / 3,000,000)
using server-side ``INSERT ... SELECT generate_series`` (seeded), then times:

* the floor: ONE SQL statement computing every per-account input of the snapshot (median
  unit price in the look-back window, amount-weighted rep and stage probabilities of open deals,
  distinct quarters with a purchase, first deal, first and last win, anything open), written
  to an unlogged temporary table (``CREATE TEMP TABLE ... AS``);
* ``snapshot_create``: the same loading, the domain core (quantiles, zones, flags, smoothing,
  lifecycle) and writing every row into the indexed snapshot table, in one transaction.

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_snapshot_bench .venv/bin/python -m benchmarks.snapshot
    ... --accounts 100000 --deals 300000        # a quick run
    ... --keep 12                               # with 11 snapshots kept before it (a month apart)

The fill runs only when the database holds a different number of accounts than asked.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from kokyaku.crm.models import Account, Deal, Rep, Team  # noqa: E402
from kokyaku.domain.portfolio import DEFAULT_STAGE_PROBABILITIES  # noqa: E402
from kokyaku.portfolio import services  # noqa: E402
from kokyaku.portfolio.models import Snapshot, SnapshotRow  # noqa: E402
from kokyaku.portfolio.services import snapshot_create  # noqa: E402

AS_OF = date(2026, 6, 30)
REPS = 200


def fill(accounts: int, deals: int) -> None:
    """Replace the bench data with ``accounts`` accounts and ``deals`` deals (seeded, server-side)."""
    with transaction.atomic(), connection.cursor() as c:
        c.execute("TRUNCATE portfolio_snapshotrow, portfolio_snapshot, crm_activity, crm_deal, crm_account, crm_target CASCADE")
        team, _ = Team.objects.get_or_create(name="Bench")
        if Rep.objects.filter(external_id__startswith="SB-").count() < REPS:
            Rep.objects.bulk_create(
                Rep(external_id=f"SB-{i:03d}", name=f"Bench Rep {i:03d}", team=team, tier="strong" if i % 3 else "developing")
                for i in range(REPS)
            )
        rep_ids = list(Rep.objects.filter(external_id__startswith="SB-").order_by("id").values_list("id", flat=True))
        lo = rep_ids[0]
        c.execute("SELECT setseed(0.42)")
        c.execute(
            """
            INSERT INTO crm_account (external_id, name, industry, region, owner_id, buyer_type, created_at, updated_at)
            SELECT 'SB-' || g, 'Bench account ' || g, '', '', %s + (g %% %s),
                   (ARRAY['visionary','pragmatist','conservative','skeptic','unknown'])[1 + g %% 5], now(), now()
            FROM generate_series(1, %s) g
            """,
            [lo, REPS, accounts],
        )
        c.execute("SELECT min(id) FROM crm_account")
        first = c.fetchone()[0]
        # Skewed deal counts (some accounts many deals, a third none), log-normal amounts,
        # dates over four years, half the open deals with a rep estimate, stages A-D / pipeline names.
        c.execute(
            """
            INSERT INTO crm_deal (external_id, account_id, owner_id, name, product, amount, currency, stage, status,
                                  probability, opened_on, closed_on, lost_note)
            SELECT 'SBD-' || g, a, NULL, '', '', round(exp(13 + random() * 2.5)::numeric, 0), 'JPY',
                   (ARRAY['A','B','C','D','Proposal','Negotiation','x'])[1 + floor(random() * 7)::int],
                   st,
                   CASE WHEN st = 'open' AND random() < 0.5 THEN (10 * floor(random() * 10))::int END,
                   o, CASE WHEN st <> 'open' THEN o + (random() * 90)::int END, ''
            FROM (
                SELECT g, %s + floor(power(random(), 1.6) * %s)::bigint AS a,
                       (ARRAY['open','won','won','lost'])[1 + floor(random() * 4)::int] AS st,
                       DATE '2022-07-01' + floor(random() * 1460)::int AS o
                FROM generate_series(1, %s) g
            ) s
            """,
            [first, accounts, deals],
        )
    with connection.cursor() as c:
        c.execute("ANALYZE crm_account")
        c.execute("ANALYZE crm_deal")


def floor_sql() -> tuple[str, list[Any]]:
    """The floor: one statement computing every per-account input of a snapshot."""
    stages = ", ".join("(%s, %s::float8)" for _ in DEFAULT_STAGE_PROBABILITIES)
    params: list[Any] = []
    for k, v in DEFAULT_STAGE_PROBABILITIES.items():
        params += [k, v / 100.0]
    start = date(AS_OF.year - 2, AS_OF.month, AS_OF.day)
    sql = f"""
    CREATE TEMP TABLE bench_floor AS
    WITH d AS (
        SELECT account_id, amount, probability, stage, opened_on,
               CASE WHEN status <> 'open' AND COALESCE(closed_on, opened_on) > %s THEN 'open' ELSE status END AS status,
               CASE WHEN status <> 'open' THEN COALESCE(closed_on, opened_on) END AS closed
        FROM crm_deal WHERE opened_on <= %s
    ), s(stage, p) AS (VALUES {stages})
    SELECT a.id AS account_id,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY d.amount) FILTER (
            WHERE d.status IN ('won', 'open') AND d.amount IS NOT NULL
              AND (CASE WHEN d.status = 'open' THEN d.opened_on ELSE d.closed END) > %s) AS unit_price,
        sum(d.amount * d.probability) FILTER (WHERE d.status = 'open' AND d.probability IS NOT NULL)
            / NULLIF(sum(d.amount) FILTER (WHERE d.status = 'open' AND d.probability IS NOT NULL), 0) AS rep_p,
        sum(d.amount * s.p) FILTER (WHERE d.status = 'open')
            / NULLIF(sum(d.amount) FILTER (WHERE d.status = 'open' AND s.p IS NOT NULL), 0) AS stage_p,
        count(DISTINCT (%s - d.closed) / 91) FILTER (WHERE d.status = 'won' AND %s - d.closed < 728) AS won_periods,
        min(d.opened_on) AS first_deal,
        min(d.closed) FILTER (WHERE d.status = 'won') AS first_won,
        max(d.closed) FILTER (WHERE d.status = 'won') AS last_won,
        bool_or(d.status = 'open') AS has_open
    FROM crm_account a
    LEFT JOIN d ON d.account_id = a.id
    LEFT JOIN s ON s.stage = d.stage
    GROUP BY a.id
    """  # noqa: S608 - only placeholders are interpolated
    return sql, [AS_OF, AS_OF, *params, start, AS_OF, AS_OF]


def time_floor() -> float:
    sql, params = floor_sql()
    with transaction.atomic(), connection.cursor() as c:
        t = time.perf_counter()
        c.execute(sql, params)
        elapsed = time.perf_counter() - t
        c.execute("DROP TABLE bench_floor")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each (the best is reported)")
    parser.add_argument("--copy-chunk", type=int, default=None, help="rows per COPY chunk (default: the service's)")
    parser.add_argument(
        "--keep",
        type=int,
        default=1,
        help="time the snapshot with this many kept (the others made first, a month apart, untimed): it then reads "
        "the zones of the one before and counts its migration against it",
    )
    args = parser.parse_args()
    if args.copy_chunk:
        services.COPY_CHUNK = args.copy_chunk
    if connection.vendor != "postgresql":
        print("benchmarks/snapshot.py needs DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    if Account.objects.count() != args.accounts or Deal.objects.count() != args.deals:
        t = time.perf_counter()
        fill(args.accounts, args.deals)
        print(f"filled {args.accounts:,} accounts / {args.deals:,} deals in {time.perf_counter() - t:.0f} s", flush=True)
    Snapshot.objects.all().delete()
    kept = [
        snapshot_create(actor=None, as_of=date.fromordinal(AS_OF.toordinal() - 30 * k)).pk for k in range(args.keep - 1, 0, -1)
    ]
    time_floor()  # warm the cache: both timings then read the same hot pages
    floors, snaps = [], []
    stages: dict[str, float] = {}
    for _ in range(args.runs):
        floors.append(time_floor())
        t0 = time.perf_counter()
        last = [t0]

        def progress(stage: str, count: int, last: list[float] = last) -> None:
            now = time.perf_counter()
            stages[stage] = now - last[0]
            last[0] = now

        snapshot = snapshot_create(actor=None, as_of=AS_OF, progress=progress)
        snaps.append(time.perf_counter() - t0)
        stages["commit"] = time.perf_counter() - last[0]
        rows = SnapshotRow.objects.filter(snapshot=snapshot).count()
        assert rows == args.accounts, (rows, args.accounts)
        # keep the database from growing run after run
        SnapshotRow.objects.filter(snapshot=snapshot).delete()
        Snapshot.objects.filter(pk=snapshot.pk).delete()
    Snapshot.objects.filter(pk__in=kept).delete()
    floor, snap = min(floors), min(snaps)
    print("| accounts | deals | snapshots kept | floor: one SQL aggregate | snapshot_create | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {args.accounts:,} | {args.deals:,} | {len(kept) + 1} | {floor:.1f} s | {snap:.1f} s | {snap / floor:.2f}× |")
    print("snapshot stages (last run): " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
