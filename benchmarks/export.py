"""Time the portfolio exports and their peak memory at 100,000 accounts (or ``--accounts``).

    export KOKYAKU_DATA_DIR=/tmp/kk-export-bench DEBUG=1        # or DATABASE_URL=postgres://...
    .venv/bin/kokyaku migrate
    .venv/bin/python -m benchmarks.export --accounts 100000

Uses the database as it finds it: if it holds no accounts, loads `kokyaku demo` with ``--accounts``
(seed 0); if it holds no snapshot, computes one. Then each export runs in a fresh Python process
(so that its peak resident memory is its own): the whole portfolio as XLSX (one accounts sheet,
matrix, zones, per-rep breakdown) and as CSV (UTF-8 with BOM and cp932), in Japanese, the way
``kokyaku export portfolio`` and the accounts page's download write them; then one filtered
XLSX (zone A, with a sheet per rep when at most 30 reps) and the team download. Prints wall
time, CPU time (steadier than wall time on a shared machine), the peak RSS of the process, its
growth over the process before the export, and the size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = ("xlsx", "csv-utf8", "csv-cp932", "xlsx-zone-a", "team-xlsx")


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM the peak), in MB."""
    with open("/proc/self/status") as fh:
        line = next(x for x in fh if x.startswith(field + ":"))
    return int(line.split()[1]) / 1e3  # kB


def _measure(case: str) -> dict[str, float]:
    """Run one export in this (fresh) process; return seconds, peak and starting memory, file size."""
    from django.utils import translation

    from kokyaku.portfolio import export
    from kokyaku.portfolio.selectors import snapshot_latest

    snapshot = snapshot_latest()
    assert snapshot is not None
    before = _status_mb("VmRSS")
    with tempfile.TemporaryDirectory() as tmp, translation.override("ja"):
        path = Path(tmp) / "out"
        start, cpu = time.perf_counter(), time.process_time()
        if case == "team-xlsx":
            what, fmt, encoding = export.team_export(snapshot), "xlsx", "utf-8-sig"
        elif case == "xlsx-zone-a":
            what, fmt, encoding = export.accounts_export(snapshot, filters={"zone": "A"}), "xlsx", "utf-8-sig"
        else:
            fmt = "xlsx" if case == "xlsx" else "csv"
            encoding = "cp932" if case == "csv-cp932" else "utf-8-sig"
            what = export.accounts_export(snapshot)
        rows = export.write_file(what, path, fmt=fmt, encoding=encoding)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = path.stat().st_size
    peak = _status_mb("VmHWM")  # not ru_maxrss: that one survives exec, so it holds the parent's size
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "start_mb": before, "rows": rows, "size_mb": size / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000, help="demo size when the database is empty")
    parser.add_argument("--measure", choices=CASES, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    import django

    django.setup()
    if args.measure:
        print(json.dumps(_measure(args.measure)))
        return 0

    from kokyaku.crm.models import Account
    from kokyaku.demo.services import demo_load
    from kokyaku.portfolio.models import SnapshotRow
    from kokyaku.portfolio.selectors import snapshot_latest
    from kokyaku.portfolio.services import snapshot_create

    if not Account.objects.exists():
        print(f"loading the demo with {args.accounts:,} accounts ...", flush=True)
        demo_load(actor=None, accounts=args.accounts, seed=0)
    snapshot = snapshot_latest() or snapshot_create(actor=None)
    rows = SnapshotRow.objects.filter(snapshot=snapshot).count()
    print(f"snapshot {snapshot.pk}: {rows:,} rows; load average {os.getloadavg()[0]:.1f}")
    print(f"{'export':<12} {'rows':>9} {'seconds':>8} {'CPU s':>6} {'peak MB':>8} {'growth MB':>9} {'file MB':>8}")
    for case in CASES:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.export", "--measure", case], check=True, capture_output=True, text=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{case:<12} {int(r['rows']):>9,} {r['seconds']:>8.1f} {r['cpu']:>6.1f} {r['peak_mb']:>8.0f} "
            f"{r['peak_mb'] - r['start_mb']:>9.0f} {r['size_mb']:>8.1f}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
