"""An import and a snapshot killed mid-way (SIGKILL: no cleanup at all) leave every table exactly as before.

The work runs as the real `kokyaku` command in a subprocess against a database both it and the test
see: on PostgreSQL the test database (its backend named by PGAPPNAME, so the test sees when it has
written), on SQLite a file database (whose write lock tells the same). The test waits until the
command is inside its write transaction, stops it there (SIGSTOP) to be sure it still is, kills it,
and compares every table's row count and content hash with the state before. Then the same command
runs again to the end: the database took no harm.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.faults.dbstate import table_state

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "kokyaku-fault-test"


@dataclass
class Target:
    env: dict[str, str]
    state: Callable[[], dict[str, tuple[int, str]]]
    writing: Callable[[], bool]  # is the command inside a write transaction (that has written, on PostgreSQL)?
    gone: Callable[[], bool]  # has the database let go of the killed command's session?

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "kokyaku.cli", *args]
        return subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)

    def start(self, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "kokyaku.cli", *args]
        return subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _postgres(env: dict[str, str]) -> Target:
    s = connection.settings_dict
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    env["DATABASE_URL"] = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{host}/{s['NAME']}"
    env["PGAPPNAME"] = APP_NAME

    def state() -> dict[str, tuple[int, str]]:
        with connection.cursor() as cursor:
            return table_state(cursor, "postgresql")

    def sessions(condition: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s AND {condition}", [APP_NAME])  # noqa: S608
            return int(cursor.fetchone()[0])

    return Target(
        env=env, state=state, writing=lambda: sessions("backend_xid IS NOT NULL") > 0, gone=lambda: sessions("TRUE") == 0
    )


def _sqlite(env: dict[str, str], data_dir: Path) -> Target:
    env["KOKYAKU_DATA_DIR"] = str(data_dir)
    path = data_dir / "kokyaku.sqlite3"

    def state() -> dict[str, tuple[int, str]]:
        with closing(sqlite3.connect(path)) as db:
            return table_state(db.cursor(), "sqlite")

    def writing() -> bool:
        with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as db:
            try:
                db.execute("BEGIN IMMEDIATE")  # refused at once while another process holds the write lock
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc):
                    return True
                raise
            db.execute("ROLLBACK")
            return False

    return Target(env=env, state=state, writing=writing, gone=lambda: not writing())


def _environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KOKYAKU_TEST_DB_NAME", "PGAPPNAME"}}
    env.update({"DEBUG": "1", "SECRET_KEY": "", "PYTHONPATH": str(ROOT)})
    return env


DEMO = ("demo", "--accounts", "1000", "--seed", "5", "--snapshots", "1", "--as-of", "2026-11-20")


@pytest.fixture(scope="module")
def sqlite_seeded(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """SQLite: one migrated file database with the demo, copied for each test (each command start costs seconds)."""
    if connection.vendor != "sqlite":
        return None
    data_dir = tmp_path_factory.mktemp("seeded")
    seeder = _sqlite(_environ(), data_dir)
    for args in (("migrate", "-v", "0"), DEMO):
        done = seeder.run(*args)
        assert done.returncode == 0, done.stderr
    return data_dir / "kokyaku.sqlite3"


@pytest.fixture
def target(tmp_path: Path, sqlite_seeded: Path | None) -> Target:
    """A database with a small demo portfolio in it (and a snapshot), reachable by a `kokyaku` subprocess."""
    if sqlite_seeded is None:
        chosen = _postgres(_environ())
        loaded = chosen.run(*DEMO)
        assert loaded.returncode == 0, loaded.stderr
        return chosen
    (tmp_path / "data").mkdir()
    copy = tmp_path / "data" / "kokyaku.sqlite3"
    with closing(sqlite3.connect(sqlite_seeded)) as source, closing(sqlite3.connect(copy)) as into:
        source.backup(into)
    return _sqlite(_environ(), tmp_path / "data")


def _kill_mid_write(process: subprocess.Popen[str], target: Target, timeout: float = 300.0) -> None:
    """SIGKILL ``process`` while it is inside its write transaction: stopped there first, to be sure it still is."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"it ended before it could be killed (make the work bigger): {process.stderr.read()}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "it never started writing"
        if target.writing():
            process.send_signal(signal.SIGSTOP)
            if target.writing():
                break
            process.send_signal(signal.SIGCONT)
        time.sleep(0.002)
    process.kill()
    process.wait()
    while not target.gone():  # PostgreSQL notices the dead client when its statement ends; then it rolls back
        assert time.monotonic() < deadline, "the killed command's session never went away"
        time.sleep(0.05)


def _deals_csv(path: Path, rows: int) -> Path:
    """Deals for accounts and reps that do not exist yet: a real import writes to several tables."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("external_id,account,owner,name,amount,stage,status,opened_on,closed_on\n")
        for i in range(rows):
            handle.write(f"KD{i},KA{i % 20000},KR{i % 40},Deal {i},{1000 + i},Won,won,2025-01-01,2025-02-01\n")
    return path


def test_an_import_killed_mid_way_leaves_every_table_as_it_was(target: Target, tmp_path: Path) -> None:
    before = target.state()
    path = _deals_csv(tmp_path / "deals.csv", 100_000)
    _kill_mid_write(target.start("import", "deals", str(path)), target)
    assert target.state() == before  # no deal, account, rep or history line of the killed run


def test_a_snapshot_killed_mid_way_leaves_every_table_as_it_was(target: Target) -> None:
    before = target.state()
    _kill_mid_write(target.start("snapshot", "--as-of", "2026-11-20"), target)
    assert target.state() == before
    again = target.run("snapshot", "--as-of", "2026-11-20")
    assert again.returncode == 0, again.stderr
    after = target.state()
    assert after["portfolio_snapshot"][0] == before["portfolio_snapshot"][0] + 1
    assert after["portfolio_snapshotrow"][0] == before["portfolio_snapshotrow"][0] + 1000
