"""Backups of the whole database to one file, and restoring one: `kokyaku backup PATH`, `kokyaku restore PATH`.

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot while the app runs) and ``pg_restore --clean
--single-transaction`` (all or nothing). SQLite: the online backup API (consistent while the app runs, WAL
included) in both directions. Either way the backup is written beside ``PATH`` under a temporary name and
renamed when complete, so ``PATH`` never holds half a backup. Every refusal is a :class:`BackupError` with
one line saying what to do.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

from django.db import connection
from django.utils.translation import gettext as _

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why in one line."""


def _kind(path: Path) -> str:
    """``"sqlite"`` or ``"postgresql"``: what made the file at ``path``, read from its first bytes."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(_("%(path)s is not a Kokyaku backup (neither a pg_dump archive nor an SQLite database)") % {"path": path})


def _pg_env() -> tuple[dict[str, str], str]:
    """The environment (PGHOST, PGUSER, ...) that points the PostgreSQL tools at this database, and its name."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, setting in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if db.get(setting):
            env[key] = str(db[setting])
    return env, str(db["NAME"])


def _pg_tool(name: str) -> str:
    """The path of ``pg_dump`` / ``pg_restore``, refused when missing or older than the server."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _("%(name)s is not on PATH: install the PostgreSQL client tools (Debian: apt install postgresql-client)")
            % {"name": name}
        )
    said = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603 - no shell
    found = re.search(r"(\d+)(?:\.(\d+))?", said)
    connection.ensure_connection()
    server = connection.pg_version // 10000  # type: ignore[attr-defined]  # 150020 -> 15
    if found is None or int(found.group(1)) < server:
        version = found.group(0) if found else _("of unknown version")
        raise BackupError(
            _(
                "%(name)s %(version)s is older than the PostgreSQL %(server)s server: install "
                "postgresql-client-%(server)s and put its %(name)s first on PATH"
            )
            % {"name": name, "version": version, "server": server}
        )
    return path


def _fresh_target(path: Path, *, force: bool) -> None:
    if path.exists() and not force:
        raise BackupError(_("%(path)s exists; add --force to replace it") % {"path": path})
    if path.is_dir():
        raise BackupError(_("%(path)s is a directory; give a file name") % {"path": path})
    if not path.parent.is_dir():
        raise BackupError(_("%(path)s does not exist") % {"path": path.parent})


def backup(path: Path, *, force: bool = False) -> str:
    """Write the whole database to ``path``; return what was written, for the command's one line of output."""
    _fresh_target(path, force=force)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    partial = Path(name)
    try:
        if connection.vendor == "postgresql":
            env, database = _pg_env()
            command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", database]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - no shell
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines()
                raise BackupError(_("pg_dump failed: %(error)s") % {"error": lines[-1] if lines else done.returncode})
        else:
            connection.ensure_connection()
            with closing(sqlite3.connect(partial)) as target:
                connection.connection.backup(target)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return _("backed up the %(vendor)s database to %(path)s (%(size)s bytes)") % {
        "vendor": connection.vendor,
        "path": path,
        "size": f"{path.stat().st_size:,}",
    }


def holds_data() -> int:
    """How many accounts the database holds (0 when it has none, or no tables yet)."""
    if "crm_account" not in connection.introspection.table_names():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM crm_account")
        return int(cursor.fetchone()[0])


def restore(path: Path, *, force: bool = False) -> str:
    """Replace the whole database with the backup at ``path``, all or nothing; refuse a database with data unless ``force``."""
    if not path.is_file():
        raise BackupError(_("%(path)s does not exist") % {"path": path})
    kind = _kind(path)
    if kind != connection.vendor:
        raise BackupError(
            _("%(path)s is a %(kind)s backup but DATABASE_URL points at %(vendor)s; restore it into %(kind)s")
            % {"path": path, "kind": kind, "vendor": connection.vendor}
        )
    accounts = holds_data()
    if accounts and not force:
        raise BackupError(
            _("the database holds %(n)s accounts; add --force to replace everything in it with %(path)s")
            % {"n": f"{accounts:,}", "path": path}
        )
    if kind == "postgresql":
        env, database = _pg_env()
        tool = _pg_tool("pg_restore")
        connection.close()  # our own session would hold locks the DROPs wait for
        command = [
            tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
            f"--dbname={database}", str(path),
        ]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - no shell
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            raise BackupError(
                _("pg_restore failed, nothing was changed: %(error)s") % {"error": lines[-1] if lines else done.returncode}
            )
    else:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "django_migrations" not in tables:
                raise BackupError(
                    _("%(path)s is an SQLite database but not a Kokyaku one (no django_migrations table)") % {"path": path}
                )
            connection.ensure_connection()
            source.backup(connection.connection)
    return _("restored the %(kind)s database from %(path)s (%(n)s accounts)") % {
        "kind": kind,
        "path": path,
        "n": f"{holds_data():,}",
    }
