"""Staging: the TEMP tables an import writes its checked rows into, and the checks SQL makes there.

Each chunk goes in through :mod:`kokyaku.lib.bulk` (COPY on PostgreSQL, executemany on SQLite).
Once every chunk is in, SQL finds duplicate external ids (and, for purchases, sums invoice
lines into purchases) over the whole file at once.
"""

# ruff: noqa: S608  - SQL here is assembled from model metadata and constants only; values always travel as parameters
from __future__ import annotations

import contextlib
import itertools
from collections.abc import Generator, Iterator

import pandas as pd
from django.db import DatabaseError, connection

from kokyaku.imports.context import ImportPass
from kokyaku.imports.errors import Message, Problem, gettext_noop
from kokyaku.imports.summary import MAX_PROBLEMS_KEPT, keep
from kokyaku.lib import bulk
from kokyaku.lib.bulk import Kind, execute, fetch

# Staging column types: (PostgreSQL, SQLite). SQLite types keep the same affinity Django gives
# the target columns, so values compare equal after a round trip.
SQL_TYPES: dict[Kind, tuple[str, str]] = {
    "text": ("text", "text"),
    "id": ("bigint", "integer"),
    "money": ("numeric(18,2)", "decimal"),
    "number": ("numeric", "real"),
    "date": ("date", "date"),
    "ts": ("timestamp with time zone", "datetime"),
    "bool": ("boolean", "bool"),
    "int": ("integer", "integer"),
}


LEAN_CACHE_KB = 16 * 1024  # SQLite's page cache (and so its sorter's memory) while refused rows stream out


class Stage:
    """A TEMP table in the import's transaction; or, with ``direct``, the target table itself (no ``_row``).

    ``_row`` keeps each staged row's row number in the file (the chunk's index), so that what SQL
    finds later (a duplicate id) names the rows it is on.
    """

    def __init__(self, name: str, columns: list[tuple[str, Kind]], *, direct: bool = False) -> None:
        self.name = name
        self.columns: list[tuple[str, Kind]] = list(columns) if direct else [*columns, ("_row", "int")]
        self.postgres = connection.vendor == "postgresql"
        self.direct = direct
        self.qualified = name if direct else f"pg_temp.{name}" if self.postgres else f"temp.{name}"
        self.rows = 0
        if direct:
            return
        slot = 0 if self.postgres else 1
        cols = ", ".join(f"{c} {SQL_TYPES[t][slot]}" for c, t in self.columns)
        create = f"CREATE TEMP TABLE {name} ({cols})" + (" ON COMMIT DROP" if self.postgres else "")
        if not self.postgres and fetch("SELECT sql FROM sqlite_temp_master WHERE name = %s", [name]) == [
            (f"CREATE TABLE {name} ({cols})",)  # as SQLite keeps it
        ]:
            execute(f"DELETE FROM {self.qualified}")  # made before the transaction (see staged()): reused, not a schema change
            return
        execute(f"DROP TABLE IF EXISTS {self.qualified}")
        execute(create)

    def batch(self, frame: pd.DataFrame) -> bulk.Batch:
        """One chunk's rows, formatted for this table (touches no database)."""
        self.rows += len(frame)
        return bulk.format_rows(self.name, self.columns, frame, index_as=None if self.direct else "_row")

    def drop(self) -> None:
        """PostgreSQL drops TEMP tables on commit, but not when the import runs inside an outer
        transaction; SQLite keeps them for the connection's life. SQLite inside a transaction only
        empties the table: a DROP there is a schema change (see :func:`staged`); the table goes when
        ``staged()`` ends, or is reused by the connection's next import."""
        if self.direct:
            return
        if self.postgres or not connection.in_atomic_block:
            execute(f"DROP TABLE IF EXISTS {self.qualified}")
        else:
            execute(f"DELETE FROM {self.qualified}")


@contextlib.contextmanager
def staged(tables: list[tuple[str, list[tuple[str, Kind]]]]) -> Iterator[None]:
    """SQLite: the staging TEMP tables made before the import's transaction, and dropped after it.

    A transaction that changed the schema, rolled back, makes SQLite abort the reads in progress on
    every connection of a shared cache ("abort due to ROLLBACK"), and a TEMP table is a schema change.
    A refused file and a validation always roll back: made inside, they broke a page read meanwhile
    (the in-memory database of the test runs is a shared cache). Made here, the rollback only empties
    them. Inside an outer transaction (a scheduled import) or on PostgreSQL, nothing is done here.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    stages = [Stage(name, columns) for name, columns in tables]
    try:
        yield
    finally:
        for stage in stages:
            with contextlib.suppress(DatabaseError):  # a broken connection: its TEMP tables went with it
                stage.drop()


def check_duplicates(run: ImportPass, stage: Stage) -> None:
    """Name every row whose external id another row has too; with skip_invalid, unstage all of them.

    Memory stays flat however many rows share ids: one query counts them, a server-side cursor
    streams them in row order (problems kept up to MAX_PROBLEMS_KEPT, each row to the rejects file
    with its values, read again from the file beside the cursor).
    """
    summary = run.summary
    groups = (
        f"SELECT external_id, COUNT(*) AS n, MIN(_row) AS first_row FROM {stage.name} GROUP BY external_id HAVING COUNT(*) > 1"
    )
    total = int(fetch(f"SELECT COALESCE(SUM(n), 0) FROM ({groups}) d")[0][0])
    if not total:
        return
    reason = gettext_noop("duplicate external id: %(count)s rows have it (first on row %(first)s)")

    def found() -> Generator[tuple[int, str, str]]:
        kept = len(summary.problems)
        with connection.chunked_cursor() as cur:  # PostgreSQL: a named cursor; SQLite steps through the result
            cur.execute(  # window functions: one sort (a join on the grouped ids was quadratic on SQLite)
                f"SELECT _row, external_id, n, first_row FROM (SELECT _row, external_id,"
                f" COUNT(*) OVER (PARTITION BY external_id) AS n, MIN(_row) OVER (PARTITION BY external_id) AS first_row"
                f" FROM {stage.name}) w WHERE n > 1 ORDER BY _row"
            )
            while batch := cur.fetchmany(10_000):
                for row, ext, n, first in batch:
                    message = Message(reason, count=n, first=first)
                    if kept < MAX_PROBLEMS_KEPT:
                        summary.problems.append(Problem(summary.file, int(row), "external_id", str(ext), message))
                        kept += 1
                    yield int(row), "external_id", message

    # SQLite: a small page cache while the refused rows stream out; the window query's sorts then
    # spill to a temp file rather than hold up to the import's 128 MB cache each, and the cached
    # pages are freed for the file read again beside the cursor (1M rows in pairs, --skip-invalid
    # --rejects: see docs/benchmarks.md)
    with bulk.sqlite_cache(LEAN_CACHE_KB):
        if run.rejects.writer is None:  # no rejects file: only the problems kept are needed
            rows = found()
            for _ in itertools.islice(rows, max(0, MAX_PROBLEMS_KEPT - len(summary.problems))):
                pass
            rows.close()
        else:
            run.rejects.write_found(run.reopen, run.width, found())
    summary.problem_count += total
    summary.rejected += total
    if run.skip_invalid:
        execute(
            f"DELETE FROM {stage.name} WHERE external_id IN"
            f" (SELECT external_id FROM {stage.name} GROUP BY external_id HAVING COUNT(*) > 1)"
        )


def aggregate_purchases(run: ImportPass, stage: Stage, lines: Stage) -> None:
    """Sum invoice lines into one purchase each; report invoices of two customers and net credits."""
    summary = run.summary
    mixed = fetch(
        f"SELECT external_id, MIN(_row), MAX(_row) FROM {lines.name} GROUP BY external_id"
        f" HAVING MIN(account_id) <> MAX(account_id) ORDER BY MIN(_row)"
    )
    if mixed:
        problems = [
            Problem(
                summary.file,
                int(first),
                "account",
                str(ext),
                Message(gettext_noop("one invoice, two customers (rows %(first)s and %(last)s)"), first=first, last=last),
            )
            for ext, first, last in mixed
        ]
        keep(summary, problems)
        for p in problems:
            run.rejects.write_plain(run.width, p.row, p.column, p.reason)
        summary.rejected += len(problems)
        if not run.skip_invalid:
            return
        execute(
            f"DELETE FROM {lines.name} WHERE external_id IN (SELECT external_id FROM {lines.name}"
            f" GROUP BY external_id HAVING MIN(account_id) <> MAX(account_id))"
        )
    net = "ROUND(SUM(amount), 2)"
    credit = fetch(
        f"SELECT COUNT(*), COALESCE(SUM(net), 0) FROM"
        f" (SELECT {net} AS net FROM {lines.name} GROUP BY external_id HAVING {net} <= 0) c"
    )
    summary.credit_notes = int(credit[0][0])
    summary.credit_total = float(credit[0][1])
    name = "'Invoice ' || MIN(invoice)"
    execute(
        f"INSERT INTO {stage.name} (external_id, account_id, owner_id, name, product, amount, currency, stage, status,"
        f" probability, opened_on, closed_on, expected_close_on, lost_reason_id, lost_note, _row)"
        f" SELECT external_id, MIN(account_id), NULL, {name}, '', {net}, MIN(currency), 'purchase', 'won',"
        f" NULL, MIN(day), MIN(day), NULL, NULL, '', MIN(_row) FROM {lines.name} GROUP BY external_id HAVING {net} > 0"
    )
    summary.invoices = int(fetch(f"SELECT COUNT(*) FROM {stage.name}")[0][0])
