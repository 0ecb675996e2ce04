"""Import 1,000,000 deal rows; compare with raw `psql \\copy` of the same file, in one run.

    .venv/bin/python benchmarks/import_deals.py [--rows 1000000] [--repeat 3] [--skip-postgres] [--skip-sqlite]

Generates /tmp/kk_bench_deals.csv (seeded), then
1. PostgreSQL: `psql \\copy` into a bare, index-free table of the same columns (the floor), then
   `kokyaku import deals` into a freshly migrated database kk_import_bench (the real thing:
   validation, 20,000 accounts and 200 reps created, staging, upsert into the indexed crm_deal);
2. the same import again (nothing changed: the idempotent path);
3. SQLite: the same import into a fresh file database.
Each import runs as the CLI users run it (a new process), timed from start to exit. The table
gives seconds, rows/s and the speed relative to the raw COPY; below it, the import's own phase
timings (``timings`` in its JSON summary) show where the time went. `uptime` is printed before
each round and after: the machine is shared, so ``--repeat N`` gives medians (min-max) of N rounds
and the CPU seconds of the CLI process (all of SQLite's work; PostgreSQL's server work is not in it).
The benchmark database and SQLite file are dropped at the end of each round.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
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
BULK_MAINTENANCE_MEM = "256MB"  # as kokyaku.lib.bulk sets for its own rebuild (MAINTENANCE_MEM)
INDEXED_FLOOR = "PostgreSQL raw psql \\copy of the resolved rows into crm_deal, indexes and constraints rebuilt"
CSV = Path("/tmp/kk_bench_deals.csv")  # noqa: S108 - a throw-away benchmark input, as the task asks


def set_names(db: str, csv: Path) -> None:
    """Use another database and file than the defaults (engineers sharing a machine each take their own)."""
    global DB, CSV
    DB, CSV = db, csv


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


def psql_rows(sql: str, db: str) -> list[list[str]]:
    out = subprocess.run(["psql", f"{PG}/{db}", "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def indexed_floor(db: str) -> float:
    """Seconds for psql alone to put the imported rows back into crm_deal the fastest way its indexes allow.

    The deals the import wrote (ids resolved) are copied out, the table emptied, then one psql session
    times: drop crm_deal's secondary indexes, unique constraint and foreign keys, ``\\copy`` the rows in,
    build them all again, commit (what the import's first load does, minus reading and checking the
    file). This is the database's share of any import into this table: the floor for the table as it is.
    """
    columns = [c for (c,) in psql_rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'crm_deal' ORDER BY ordinal_position", db
    )]  # fmt: skip
    resolved = CSV.with_name(CSV.stem + "_resolved.csv")
    cols = ", ".join(columns)
    psql(f"\\copy (SELECT {cols} FROM crm_deal ORDER BY id) TO '{resolved}' WITH (FORMAT csv)", db)  # noqa: S608 - column names from the catalog
    indexes = psql_rows(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = 'crm_deal'::regclass AND NOT x.indisprimary AND NOT x.indisunique",
        db,
    )
    constraints = psql_rows(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'crm_deal'::regclass"
        " AND contype IN ('u', 'f') ORDER BY contype DESC",
        db,
    )
    psql("TRUNCATE crm_deal CASCADE", db)
    script = "\n".join(
        [
            "BEGIN;",
            f"SET LOCAL maintenance_work_mem = '{BULK_MAINTENANCE_MEM}';",
            *(f'DROP INDEX "{name}";' for name, _sql in indexes),
            *(f'ALTER TABLE crm_deal DROP CONSTRAINT "{name}";' for name, _sql in constraints),
            f"\\copy crm_deal ({cols}) FROM '{resolved}' WITH (FORMAT csv)",
            *(f"{sql};" for _name, sql in indexes),
            *(f'ALTER TABLE crm_deal ADD CONSTRAINT "{name}" {sql};' for name, sql in constraints),
            "COMMIT;",
        ]
    )
    started = time.perf_counter()
    subprocess.run(["psql", f"{PG}/{db}", "-v", "ON_ERROR_STOP=1", "-q"], input=script, text=True, check=True)
    seconds = time.perf_counter() - started
    resolved.unlink()
    return seconds


def kokyaku_command() -> list[str]:
    """The `kokyaku` CLI of this checkout: its .venv's, else this Python running kokyaku.cli (a worktree with PYTHONPATH)."""
    script = ROOT / ".venv/bin/kokyaku"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from kokyaku.cli import main; sys.exit(main())"]


def kokyaku(*args: str, env: dict[str, str]) -> tuple[float, float, dict[str, object]]:
    """Run the CLI; return (wall seconds, CPU seconds of the process, its JSON summary)."""
    started = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([*kokyaku_command(), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"kokyaku {' '.join(args)} failed:\n{result.stderr}")
    summary = json.loads(result.stdout) if "--json" in args else {}
    return seconds, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime), summary


Run = tuple[str, float, float | None, dict[str, float] | None]  # label, wall s, CPU s of the CLI, phases


def one_round(rows: int, base_env: dict[str, str], *, postgres: bool, sqlite: bool) -> list[Run]:
    runs: list[Run] = []
    if postgres:
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
        runs.append(("PostgreSQL raw psql \\copy into a bare table", time.perf_counter() - t, None, None))
        env = {**base_env, "DATABASE_URL": f"{PG}/{DB}", "KOKYAKU_DATA_DIR": tempfile.mkdtemp(prefix="kk-bench-pg-")}
        kokyaku("migrate", "-v", "0", env=env)
        seconds, cpu, summary = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary["created"] == rows, summary
        runs.append(("PostgreSQL kokyaku import (all created)", seconds, cpu, summary["timings"]))  # type: ignore[arg-type]
        seconds, cpu, summary = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary["unchanged"] == rows, summary
        runs.append(("PostgreSQL re-import (all unchanged)", seconds, cpu, summary["timings"]))  # type: ignore[arg-type]
        runs.append((INDEXED_FLOOR, indexed_floor(DB), None, None))
        psql(f"DROP DATABASE IF EXISTS {DB}")
        shutil.rmtree(env["KOKYAKU_DATA_DIR"], ignore_errors=True)
    if sqlite:
        env = {**base_env, "KOKYAKU_DATA_DIR": tempfile.mkdtemp(prefix="kk-bench-sqlite-")}
        kokyaku("migrate", "-v", "0", env=env)
        seconds, cpu, summary = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary["created"] == rows, summary
        runs.append(("SQLite kokyaku import (all created)", seconds, cpu, summary["timings"]))  # type: ignore[arg-type]
        seconds, cpu, summary = kokyaku("import", "deals", str(CSV), "--json", env=env)
        assert summary["unchanged"] == rows, summary
        runs.append(("SQLite re-import (all unchanged)", seconds, cpu, summary["timings"]))  # type: ignore[arg-type]
        shutil.rmtree(env["KOKYAKU_DATA_DIR"], ignore_errors=True)
    return runs


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the table gives each figure's median (min-max)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--db", default=DB, help=f"the PostgreSQL database to create and drop (default {DB})")
    parser.add_argument("--csv", default=str(CSV), help=f"where to write the generated file (default {CSV})")
    args = parser.parse_args()
    set_names(args.db, Path(args.csv))
    rows = args.rows

    t = time.perf_counter()
    generate(rows, CSV)
    print(f"generated {rows:,} rows, {CSV.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - t:.1f} s -> {CSV}")
    base_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    base_env.update({"DEBUG": "1"})
    rounds: list[list[Run]] = []
    for i in range(args.repeat):
        print(f"round {i + 1}, before:", _uptime())
        rounds.append(one_round(rows, base_env, postgres=not args.skip_postgres, sqlite=not args.skip_sqlite))
        for label, seconds, _cpu, _t in rounds[-1]:
            print(f"  {label}: {seconds:.1f} s")
    print("after:", _uptime())

    def spread(values: list[float], fmt: str) -> str:
        middle = statistics.median(values)
        return fmt.format(middle) + (f" ({fmt.format(min(values))}-{fmt.format(max(values))})" if len(values) > 1 else "")

    labels = [label for label, *_rest in rounds[0]]
    raws = [r[1] for round_ in rounds for r in round_ if r[0].startswith("PostgreSQL raw psql \\copy into")]
    floors = [r[1] for round_ in rounds for r in round_ if r[0] == INDEXED_FLOOR]
    print(
        "\n| run | seconds | rows/s | CPU s of the CLI | speed vs raw COPY into a bare table | speed vs the indexed floor |"
        "\n| --- | ---: | ---: | ---: | ---: | ---: |"
    )
    for n, label in enumerate(labels):
        walls = [round_[n][1] for round_ in rounds]
        cpus = [c for round_ in rounds if (c := round_[n][2]) is not None]
        postgres = label.startswith("PostgreSQL")
        ratios = [raw / round_[n][1] for raw, round_ in zip(raws, rounds, strict=False)] if postgres else []
        to_floor = [floor / round_[n][1] for floor, round_ in zip(floors, rounds, strict=False)] if postgres else []
        print(
            f"| {label} | {spread(walls, '{:.1f}')} | {spread([rows / w for w in walls], '{:,.0f}')} |"
            f" {spread(cpus, '{:.1f}') if cpus else '-'} | {spread(ratios, '{:.0%}') if ratios else '-'} |"
            f" {spread(to_floor, '{:.0%}') if to_floor else '-'} |"
        )
    timed = [(label, t) for label, _s, _c, t in rounds[len(rounds) // 2] if t]
    if timed:
        print(f"\nphases inside the import, round {len(rounds) // 2 + 1} (seconds; the rest is process start-up)\n")
        names = list(dict.fromkeys(name for _label, timing in timed for name in timing))
        print("| phase | " + " | ".join(label for label, _t in timed) + " |")
        print("| --- | " + " | ".join("---:" for _ in timed) + " |")
        for name in names:
            print(f"| {name} | " + " | ".join(f"{t[name]:.1f}" if name in t else "" for _label, t in timed) + " |")


if __name__ == "__main__":
    main()
