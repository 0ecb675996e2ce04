"""The criteria preview's sample at scale: how it is read, and how far its percentiles are from the exact ones.

Uses the database as it finds it (load the demo first, see ``benchmarks/pages.py``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_bench DEBUG=1 .venv/bin/python -m benchmarks.criteria_preview

On the latest snapshot, with the preview's own step (about ``PREVIEW_SAMPLE`` rows above
``PREVIEW_EXACT_UP_TO`` accounts):

1. EXPLAIN ANALYZE of the sample read, the old way (``(id - lo) % step = 0`` over the id range)
   and the new one (primary-key probes), best of ``--runs``;
2. ``percentile_cont`` over every row (the exact cut-off, as the snapshot computes it) against the
   sample's ``numpy.quantile``, for the unit price and the win probability at several percentiles:
   the error in the value and in rank (the share of accounts between the estimate and the exact
   cut-off, which is how many accounts the estimate would put on the wrong side).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from django.db import connection  # noqa: E402

from kokyaku.portfolio.selectors import criteria as selectors  # noqa: E402
from kokyaku.portfolio.selectors import snapshot_latest  # noqa: E402
from kokyaku.portfolio.selectors.snapshots import snapshot_bounds  # noqa: E402

QUANTILES = (0.1, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 0.9)


def _analyze(sql: str, params: list[int]) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF) {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    found = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return float(found.group(1)) if found else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("PostgreSQL only", file=sys.stderr)
        return 1
    snapshot = snapshot_latest()
    if snapshot is None:
        print("load the demo first", file=sys.stderr)
        return 1
    accounts = int(snapshot.account_count or 0)
    step = -(-accounts // selectors.PREVIEW_SAMPLE) if accounts > selectors.PREVIEW_EXACT_UP_TO else 1
    lo, hi = snapshot_bounds(snapshot)
    print(f"snapshot {snapshot.pk}: {accounts:,} accounts, ids {lo:,}-{hi:,}, step {step}; load {os.getloadavg()}")
    table = "portfolio_snapshotrow"
    cols = "unit_price::float8, win_probability"
    where = "snapshot_id + 0 = %s AND id >= %s AND id <= %s"
    old = f"SELECT {cols} FROM {table} WHERE {where} AND (id - %s) %% %s = 0"  # noqa: S608 (constants)
    new = f"SELECT {cols} FROM {table} WHERE {where} AND id = ANY(ARRAY(SELECT generate_series(%s::bigint, %s::bigint, %s::bigint)))"  # noqa: S608,E501
    for label, sql, params in (
        ("sample read, old: (id - lo) % step = 0", old, [snapshot.pk, lo, hi, lo, step]),
        ("sample read, new: primary-key probes", new, [snapshot.pk, lo, hi, lo, hi, step]),
    ):
        best = min(_analyze(sql, params) for _ in range(args.runs))
        print(f"{label:44} {best:8.1f} ms (EXPLAIN ANALYZE, best of {args.runs})")
    started = time.perf_counter()
    price, probability = selectors._snapshot_values(snapshot, step)
    print(f"sample read through the selector: {len(price):,} rows in {(time.perf_counter() - started) * 1000:.0f} ms")
    print(f"{'axis':12} {'q':>6} {'exact':>14} {'sample':>14} {'error':>10} {'rank error':>11}")
    for column, values in (("unit_price", price), ("win_probability", probability)):
        finite = values[np.isfinite(values)]
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                f"SELECT percentile_cont(%s::float8[]) WITHIN GROUP (ORDER BY {column}::float8)"  # noqa: S608 (constants)
                f" FROM {table} WHERE snapshot_id = %s AND id BETWEEN %s AND %s AND {column} IS NOT NULL",
                [list(QUANTILES), snapshot.pk, lo, hi],
            )
            exact = cursor.fetchone()[0]
            took = time.perf_counter() - started
        for q, cut in zip(QUANTILES, exact, strict=True):
            estimate = float(np.quantile(finite, q))
            with connection.cursor() as cursor:  # the share of accounts between the two cut-offs
                a, b = sorted((estimate, float(cut)))
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE snapshot_id = %s AND id BETWEEN %s AND %s"  # noqa: S608
                    f" AND {column}::float8 > %s AND {column}::float8 <= %s",
                    [snapshot.pk, lo, hi, a, b],
                )
                between = int(cursor.fetchone()[0])
            print(
                f"{column[:12]:12} {q:6.3f} {float(cut):14.4f} {estimate:14.4f} {estimate - float(cut):10.4f}"
                f" {between / accounts * 100:10.3f}%"
            )
        print(f"  (percentile_cont over every row, {len(QUANTILES)} quantiles: {took * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
