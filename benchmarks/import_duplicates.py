"""Peak memory of imports that fail on their size: 1,000,000 deal rows with every id twice, and a one-line gzip bomb.

    python benchmarks/import_duplicates.py [--rows 1000000] [--skip-postgres] [--skip-sqlite] [--bomb-mb 1024] [--skip-bomb]

Generates /tmp/kk_bench_dupes.csv: the rows of ``benchmarks/import_deals.py``'s generator with each
external id on two rows (500,000 ids, each twice, far apart), then runs `kokyaku import deals` as
users run it (a new process) on a fresh database, and reads the process's peak RSS
(``VmHWM`` of the child, read as it exits):

1. all-or-nothing: refused, 1,000,000 problems counted, the first 20 printed, nothing written;
2. ``--skip-invalid --rejects PATH``: every row rejected, each in the rejects file with its values;
3. a gzip of one line of ``--bomb-mb`` MB (1 GB by default, 1 MB on disk): refused at the line cap.

The target (issue 17): under 600 MB for the 1,000,000 rows. ``uptime`` is printed before and after.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.import_deals import PG, generate, kokyaku_command, psql

CSV = Path("/tmp/kk_bench_dupes.csv")  # noqa: S108 - a throw-away benchmark input
BOMB = Path("/tmp/kk_bench_bomb.csv.gz")  # noqa: S108
DB = "kk_dupes_bench"


def generate_dupes(rows: int, path: Path) -> None:
    """``rows`` deal rows, every external id on two of them (row i and row i + rows/2)."""
    half = path.with_name(path.stem + "_half.csv")
    generate(rows // 2, half)
    frame = pd.read_csv(half, dtype=str, keep_default_na=False)
    second = frame.copy()
    second["name"] = second["name"] + " (again)"
    pd.concat([frame, second]).to_csv(path, index=False)
    half.unlink()


def generate_bomb(megabytes: int, path: Path) -> None:
    block = b"x" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b"external_id,account,status,opened_on\n")
        for _ in range(megabytes):
            out.write(block)


def peak_run(*args: str, env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run the CLI in a fresh process; (wall s, peak RSS MB, exit status, last line of stderr)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    peak = next((int(line.split()[1]) for line in lines if line.startswith("PEAK_RSS_KB ")), 0)
    message = next((line for line in reversed(lines) if not line.startswith("PEAK_RSS_KB ")), "")
    return seconds, peak / 1024, result.returncode, message[:160]


# the CLI (kokyaku.cli.main) in a process that prints its own peak RSS as it ends, whatever the exit status:
# VmHWM of /proc/self/status, which starts afresh at exec (ru_maxrss would count the forking parent's pages)
_MEASURED = """
import atexit, sys
def peak():
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    print("PEAK_RSS_KB", kb, file=sys.stderr)
atexit.register(peak)
from kokyaku.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _check_rejects(path: Path, rows: int) -> str:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        count = filled = 0
        for line in reader:
            count += 1
            filled += bool(line[0] and line[3])
    assert header[-3:] == ["row", "column", "reason"], header
    return f"{count:,} rows in the rejects file, {filled:,} with their values"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bomb-mb", type=int, default=1024)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-bomb", action="store_true", help="only the two runs of the duplicated file")
    parser.add_argument("--db", default=DB)
    args = parser.parse_args()
    generate_dupes(args.rows, CSV)
    if not args.skip_bomb:
        generate_bomb(args.bomb_mb, BOMB)
    print(f"{CSV}: {args.rows:,} rows, {CSV.stat().st_size / 1e6:.0f} MB")
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DEBUG": "1"}
    engines = []
    if not args.skip_postgres:
        engines.append(("PostgreSQL", {"DATABASE_URL": f"{PG}/{args.db}"}))
    if not args.skip_sqlite:
        engines.append(("SQLite", {}))
    print("before:", _uptime())
    table = []
    for engine, extra in engines:
        data_dir = tempfile.mkdtemp(prefix="kk-bench-dupes-")
        env = base | extra | {"KOKYAKU_DATA_DIR": data_dir}
        if engine == "PostgreSQL":
            psql(f"DROP DATABASE IF EXISTS {args.db}")
            psql(f"CREATE DATABASE {args.db}")
        subprocess.run([*kokyaku_command(), "migrate", "-v", "0"], env=env, check=True)
        rejects = Path(data_dir) / "rejects.csv"
        runs = [
            ("all or nothing (refused)", ["import", "deals", str(CSV)]),
            ("--skip-invalid --rejects", ["import", "deals", str(CSV), "--skip-invalid", "--rejects", str(rejects)]),
        ]
        if not args.skip_bomb:
            runs.append((f"one-line gzip, {args.bomb_mb:,} MB unpacked", ["import", "deals", str(BOMB)]))
        for label, cli in runs:
            seconds, peak, status, message = peak_run(*cli, env=env)
            note = _check_rejects(rejects, args.rows) if "--rejects" in cli else message
            table.append((engine, label, seconds, peak, status, note))
            print(f"{engine:<10} {label:<36} {seconds:6.1f} s  peak {peak:6.0f} MB  exit {status}  {note}", flush=True)
        if engine == "PostgreSQL":
            psql(f"DROP DATABASE IF EXISTS {args.db}")
        shutil.rmtree(data_dir, ignore_errors=True)
    print("after:", _uptime())
    print("\n| database | run | seconds | peak RSS | exit | outcome |\n| --- | --- | ---: | ---: | ---: | --- |")
    for engine, label, seconds, peak, status, note in table:
        print(f"| {engine} | {label} | {seconds:.1f} | {peak:,.0f} MB | {status} | {note} |")
    CSV.unlink(missing_ok=True)
    BOMB.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
