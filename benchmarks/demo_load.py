"""Load a demo portfolio of N accounts into DATABASE_URL and report counts, time and rows per second.

    createdb -h 127.0.0.1 -U postgres kk_demo_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_demo_bench DEBUG=1
    .venv/bin/kokyaku migrate
    .venv/bin/python benchmarks/demo_load.py --accounts 1000000

A script, not a test: it writes into the database it is given (use a fresh one).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="load even if the database holds accounts")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.db import connection

    from kokyaku.demo.services import demo_load

    last = [0.0]
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 10 or done == total:
            last[0] = now
            print(f"  {done:>10,} / {total:,} accounts  {now - started:7.1f} s", file=sys.stderr, flush=True)

    print(f"loading {args.accounts:,} accounts into {connection.vendor} ({connection.settings_dict['NAME']})", flush=True)
    result = demo_load(actor=None, accounts=args.accounts, seed=args.seed, force=args.force, progress=progress)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    print(f"accounts    {result.accounts:>12,}")
    print(f"deals       {result.deals:>12,}")
    print(f"activities  {result.activities:>12,}")
    print(f"reps        {result.reps:>12,}  in {result.teams:,} teams; targets {result.targets:,}")
    print(f"rows        {result.rows:>12,}")
    print(f"seconds     {result.seconds:>12.1f}  (one transaction, including index and foreign-key rebuilds)")
    if result.rebuild_seconds:
        print(f"  of which {result.rebuild_seconds:.1f} s rebuilding the indexes and foreign keys dropped for the load")
    print(f"rows/s      {result.rows / result.seconds:>12,.0f}")
    print(f"peak RSS    {peak_mb:>12,.0f} MB")
    print(f"CPU s       {usage.ru_utime + usage.ru_stime:>12.1f}  (this process; on SQLite that is all the work)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
