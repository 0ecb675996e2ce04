"""A refused or dry-run import leaves other connections' reads alone (SQLite's shared cache).

SQLite aborts the reads *every* connection of a shared cache has in progress ("abort due to
ROLLBACK") when a transaction that changed the schema rolls back. The staging TEMP tables are a
schema change: created inside the import's transaction, a validation (always rolled back) broke
the page a manager was reading meanwhile (a 503 in the browser tests, whose in-memory database is
a shared cache). They are created before the transaction and dropped after it instead.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from kokyaku.crm.models import Deal
from kokyaku.imports.errors import ImportInvalid
from kokyaku.imports.services import import_run
from tests.imports.conftest import deals_csv, write
from tests.imports.test_purchases import LINES, MAPPING


def _in_a_thread(work: object) -> BaseException | None:
    """Run ``work()`` on another thread (so on another database connection); what it raised."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            work()  # type: ignore[operator]
        except BaseException as exc:
            raised.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    return raised[0] if raised else None


@pytest.mark.parametrize("bad", [False, True], ids=["dry run", "refused file"])
def test_an_import_rolled_back_on_another_connection_does_not_abort_a_read_in_progress(
    transactional_db: None, tmp_path: Path, bad: bool
) -> None:
    path = write(tmp_path, "d.csv", deals_csv(50, bad_row=7 if bad else None))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM auth_permission ORDER BY id")  # a table the import does not write
        first = cursor.fetchone()
        assert first is not None  # the read is in progress: its statement holds the rest

        raised = _in_a_thread(lambda: import_run(actor=None, kind="deals", path=path, dry_run=not bad))

        assert isinstance(raised, ImportInvalid) if bad else raised is None, raised
        rest = cursor.fetchall()  # SQLite's shared cache raised "abort due to ROLLBACK" here
    assert len(rest) >= 1
    assert Deal.objects.count() == 0


def _staging_tables() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE 'kk_import%%'")
        else:
            cursor.execute("SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'kk_import%%'")
        return sorted(name for (name,) in cursor.fetchall())


@pytest.mark.parametrize("kind", ["deals", "purchases"])
def test_an_import_leaves_no_staging_table_behind(transactional_db: None, tmp_path: Path, kind: str) -> None:
    if kind == "deals":
        path = write(tmp_path, "d.csv", deals_csv(20))
        import_run(actor=None, kind=kind, path=path, dry_run=True)
        import_run(actor=None, kind=kind, path=path)
        assert Deal.objects.count() == 20
    else:
        import_run(actor=None, kind=kind, path=write(tmp_path, "retail.csv", LINES), mapping=MAPPING)
        assert Deal.objects.exists()
    assert _staging_tables() == []
