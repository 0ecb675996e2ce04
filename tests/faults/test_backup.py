"""`kokyaku backup` / `kokyaku restore`: a round trip gives back every table exactly (counts and content), on both databases."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kokyaku.crm.models import Account, Change
from kokyaku.crm.services import account_update
from kokyaku.lib.backup import BackupError, backup, restore
from tests.faults.dbstate import table_state
from tests.portfolio.pages_demo import NOW, load_demo
from tests.test_cli import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _state() -> dict[str, tuple[int, str]]:
    with connection.cursor() as cursor:
        return table_state(cursor, connection.vendor)


def test_a_backup_restores_every_table_exactly(tmp_path: Path) -> None:
    with time_machine.travel(NOW, tick=False):
        demo = load_demo(accounts=60)
        account_update(actor=None, account=demo.rep_account, changes={"region": "Kansai"})  # a history row, a version
    before = _state()
    assert before["crm_account"][0] == 60
    assert before["crm_change"][0] == 1
    assert before["portfolio_snapshotrow"][0] > 0

    path = tmp_path / "kokyaku.backup"
    assert f"to {path}" in backup(path)
    with pytest.raises(BackupError, match="exists; add --force to replace it"):
        backup(path)

    Account.objects.filter(pk=demo.rep2_account.pk).delete()  # what a restore must undo: deletions, edits, additions
    Change.objects.all().delete()
    Account.objects.filter(pk=demo.rep_account.pk).update(name="Renamed", version=7)
    Account.objects.create(external_id="NEW-1", name="Added after the backup")
    assert _state() != before

    with pytest.raises(BackupError, match=r"the database holds 60 accounts; add --force"):
        restore(path)
    assert "restored" in restore(path, force=True)
    after = _state()
    assert after.keys() == before.keys()
    assert {t: after[t] for t in after if after[t] != before[t]} == {}  # every table: same rows, same content

    # and the app goes on writing after a restore (sequences restored with the rows)
    created = Account.objects.create(external_id="NEW-2", name="After the restore")
    assert created.pk > max(Account.objects.exclude(pk=created.pk).values_list("pk", flat=True))


def test_clear_one_line_refusals(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "missing.backup"))
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"hello, not a backup")
    with pytest.raises(CommandError, match="is not a Kokyaku backup"):
        call_command("restore", str(junk))
    other = tmp_path / "other.backup"
    other.write_bytes(b"SQLite format 3\x00" if connection.vendor == "postgresql" else b"PGDMP\x01\x0e")
    kind = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    with pytest.raises(CommandError, match=f"is a {kind} backup but DATABASE_URL points at {connection.vendor}"):
        call_command("restore", str(other))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "no-such-dir" / "x.backup"))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the command line on a file database; PostgreSQL: above")
def test_the_command_line_restores_into_a_new_installation_and_refuses_in_one_line(tmp_path: Path) -> None:
    call_command("createuser", "mori", "--role", "manager", "--password", "long-enough-12")
    path = tmp_path / "nightly.backup"
    backup(path)  # (each command line start costs seconds: the backup itself is tested above)
    new = tmp_path / "new"
    restored = run_cli("restore", str(path), data_dir=new)  # a new installation: not even migrated
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip() == f"restored the sqlite database from {path} (0 accounts)"
    with closing(sqlite3.connect(new / "kokyaku.sqlite3")) as db, closing(sqlite3.connect(path)) as kept:
        assert db.execute("SELECT username FROM auth_user").fetchall() == [("mori",)]  # the login came with it
        assert table_state(db.cursor(), "sqlite") == table_state(kept.cursor(), "sqlite")
    refused = run_cli("backup", str(path), data_dir=new)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"kokyaku: error: {path} exists; add --force to replace it"


@pytest.mark.postgres
def test_pg_dump_missing_or_older_than_the_server_is_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BackupError, match=r"^pg_dump is not on PATH: install the PostgreSQL client tools"):
        backup(tmp_path / "a.backup")
    old = tmp_path / "old"
    old.mkdir()
    tool = old / "pg_dump"  # a real executable that says what an old client says
    tool.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(old))
    with pytest.raises(BackupError, match=r"^pg_dump 9\.6 is older than the PostgreSQL \d+ server: install postgresql-client-"):
        backup(tmp_path / "a.backup")
    assert not list(tmp_path.glob("*.backup*"))  # nothing left behind, not even the temporary file
