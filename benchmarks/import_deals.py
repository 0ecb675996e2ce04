"""Import 1,000,000 deal rows; compare with raw `psql \\copy` of the same file, in one run.

    .venv/bin/python benchmarks/import_deals.py [--rows 1000000] [--skip-postgres] [--skip-sqlite]

Generates /tmp/kk_bench_deals.csv (seeded), then
1. PostgreSQL: `psql \\copy` into a bare, index-free table of the same columns (the floor), then
   `kokyaku import deals` into a freshly migrated database kk_import_bench (the real thing:
   validation, 20,000 accounts and 200 reps created, staging, upsert into the indexed crm_deal);
2. the same import again (nothing changed: the idempotent path);
3. SQLite: the same import into a fresh file database.
Each import runs as the CLI users run it (a new process), timed from start to exit. The table
gives seconds, rows/s and the speed relative to the raw COPY; below it, the import's own phase
timings (``timings`` in its JSON summary) show where the time went. `uptime` is printed before
and after: the machine is shared.
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

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://postgres@127.0.0.1:5432"
DB = "kk_import_bench"
CSV = Path("/tmp/kk_bench_deals.csv")  # noqa: S108 - a throw-away benchmark input, as the task asks


def generate(rows: int, path: Path, seed: int = 42) -> None:
    rng = np.random.default_rng(seed)
    status = rng.choice(np.array(["won", "lost", "open"]), size=rows, p=[0.45, 0.35, 0.2])
    opened = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1400, rows), unit="D")
    closed = opened + pd.to_timedelta(rng.integers(5, 200, rows), unit="D")
    frame = pd.DataFrame(
        {
            "external_id": [f"D{i:08d}" for i in range(rows)],
            "account": [f"A{i:06d}" for i in rng.integers(0, 20_000, rows)],
            "owner": [f"R{i:04d}" for i in rng.integers(0, 200, rows)],
            "name": [f"Deal {i}" for i in range(rows)],
            "product": rng.choice(np.array(["GTX Basic", "GTX Pro", "MG Special", "MG Advanced", "GTK 500"]), size=rows),
            "amount": np.round(rng.lognormal(13, 1.2, rows), 2),
            "currency": "JPY",
            "stage": status,
            "status": status,
            "probability": rng.integers(0, 101, rows),
            "opened_on": opened.strftime("%Y-%m-%d"),
            "closed_on": np.where(status == "open", "", closed.strftime("%Y-%m-%d")),
        }
    )
    frame.to_csv(path, index=False)


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG}/{db}", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True)


def kokyaku(*args: str, env: dict[str, str]) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(ROOT / ".venv/bin/kokyaku"), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"kokyaku {' '.join(args)} failed:\n{result.stderr}")
    summary = json.loads(result.stdout) if "--json" in args else {}
    return seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    rows = args.rows

    t = time.perf_counter()
    generate(rows, CSV)
    print(f"generated {rows:,} rows, {CSV.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - t:.1f} s -> {CSV}")
    base_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    base_env.update({"DEBUG": "1"})
    results: list[tuple[str, float]] = []
    phases: list[tuple[str, dict[str, float]]] = []
    print("before:", subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    raw: float | None = None

    if not args.skip_postgres:
        psql(f"DROP DATABASE IF EXISTS {DB}")
        psql(f"CREATE DATABASE {DB}")
        psql(
            "CREATE TABLE bare (external_id text, account text, owner text, name text, product text, amount numeric,"
            " currency text, stage text, status text, probability integer, opened_on date, closed_on date)",
            DB,
        )
        t = time.perf_counter()
        subprocess.run(
            ["psql", f"{PG}/{DB}", "-v", "ON_ERROR_STOP=1", "-q", "-c", f"\\copy bare FROM '{CSV}' WITH (FORMAT csv, HEADER)"],
            check=True,
        )
        raw = time.perf_counter() - t
        results.append(("PostgreSQL raw psql \\copy into a bare table", raw))
        env = {**base_env, "DATABASE_URL": f"{PG}/{DB}", "KOKYAKU_DATA_DIR": tempfile.mkdtemp(prefix="kk-bench-pg-")}
        kokyaku("migrate", "-v", "0", env=env)
        seconds, summary = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary["created"] == rows, summary
        results.append((f"PostgreSQL kokyaku import (created {summary['created']:,})", seconds))
        phases.append(("PostgreSQL import", summary["timings"]))  # type: ignore[arg-type]
        seconds2, summary2 = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary2["unchanged"] == rows, summary2
        results.append((f"PostgreSQL re-import, all unchanged ({summary2['unchanged']:,})", seconds2))
        phases.append(("PostgreSQL re-import", summary2["timings"]))  # type: ignore[arg-type]
        print(f"PostgreSQL import / raw COPY speed: {raw / seconds:.0%} (target: 50%)")

    if not args.skip_sqlite:
        env = {**base_env, "KOKYAKU_DATA_DIR": tempfile.mkdtemp(prefix="kk-bench-sqlite-")}
        kokyaku("migrate", "-v", "0", env=env)
        seconds, summary = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary["created"] == rows, summary
        results.append((f"SQLite kokyaku import (created {summary['created']:,})", seconds))
        phases.append(("SQLite import", summary["timings"]))  # type: ignore[arg-type]
        print(f"SQLite import: {rows / seconds:,.0f} rows/s (target: 50,000)")
        seconds2, summary2 = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary2["unchanged"] == rows, summary2
        results.append((f"SQLite re-import, all unchanged ({summary2['unchanged']:,})", seconds2))
        phases.append(("SQLite re-import", summary2["timings"]))  # type: ignore[arg-type]

    print("after:", subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    print("\n| run | seconds | rows/s | speed vs raw COPY |\n| --- | ---: | ---: | ---: |")
    for label, seconds in results:
        versus = f"{raw / seconds:.0%}" if raw else "-"
        print(f"| {label} | {seconds:.1f} | {rows / seconds:,.0f} | {versus} |")
    names = list(dict.fromkeys(name for _label, timing in phases for name in timing))
    if phases:
        print("\nphases inside the import (seconds; the rest of each run is process start-up and Django set-up)\n")
        print("| phase | " + " | ".join(label for label, _t in phases) + " |")
        print("| --- | " + " | ".join("---:" for _ in phases) + " |")
        for name in names:
            print(f"| {name} | " + " | ".join(f"{t[name]:.1f}" if name in t else "" for _label, t in phases) + " |")


if __name__ == "__main__":
    main()
