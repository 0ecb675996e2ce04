"""Bulk loading, written once: set indexes and constraints aside, write rows, read a frame.

The import (``kokyaku.imports``), the demo loader and the portfolio snapshot move up to millions
of rows at a time. They all do it this way:

* **write**: PostgreSQL gets the rows through ``COPY ... FROM STDIN`` in its text format
  (psycopg 3); SQLite through ``executemany`` on the raw sqlite3 connection. Columns are typed
  (:data:`Kind`) and turned into text or plain Python values whole columns at a time with NumPy;
  a value that repeats (ids, dates) is formatted once (see :func:`format_rows`);
* **set aside** (:func:`set_aside`, :func:`restore`): before a load that at least doubles a table,
  its secondary indexes, unique constraints and foreign keys are dropped, and put back after it,
  in the same transaction;
* **read** (:func:`read_frame`): ``COPY (query) TO STDOUT`` on PostgreSQL, a plain cursor on SQLite.

Every statement is also entered in Django's query log when it is kept (DEBUG, or a test counting
queries), so ``django_assert_max_num_queries`` sees bulk writes as well.
"""

# ruff: noqa: S608  - SQL here is assembled from table and column names the callers own; values travel as COPY data or parameters
from __future__ import annotations

import concurrent.futures
import contextlib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, models

Kind = Literal["text", "id", "int", "money", "number", "date", "ts", "bool"]
"""How a column's values are written: ``id`` / ``int`` whole numbers, ``money`` rounded to cents,
``number`` any float, ``date`` a day, ``ts`` a UTC instant (to the second), ``bool``, ``text``."""
Columns = Sequence[tuple[str, Kind]]

MAINTENANCE_MEM = "256MB"  # PostgreSQL: memory for rebuilding indexes after a bulk load (SET LOCAL, this transaction only)
CHUNK_ROWS = 50_000  # rows formatted at a time by write(): the server parses one chunk while Python formats the next


class DuplicateKeys(IntegrityError):
    """A unique constraint or index that :func:`restore` put back found two rows with one key."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"duplicate keys: {name} cannot be put back")


# ---------------------------------------------------------------------------------------------
# SQL helpers


def fetch(sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one query; return all its rows."""
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())


def execute(sql: str, params: Iterable[Any] = ()) -> int:
    """Run one statement; return the rows it touched."""
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return int(cur.rowcount or 0)


@contextlib.contextmanager
def sqlite_cache(kb: int) -> Iterator[None]:
    """On SQLite, a page cache of ``kb`` KB for the main and the temp database meanwhile; the
    connection's own settings come back afterwards. Elsewhere nothing.

    SQLite's sorter (ORDER BY, GROUP BY, window functions, CREATE INDEX) also keeps up to the main
    cache's size of rows in memory before it spills to a temp file, so a small cache bounds it too.
    Shrinking frees the cached pages at once (to the allocator, which the process then reuses).
    """
    if connection.vendor != "sqlite":
        yield
        return
    before = [(db, fetch(f"PRAGMA {db}.cache_size")[0][0]) for db in ("main", "temp")]
    for db, _size in before:
        execute(f"PRAGMA {db}.cache_size = -{int(kb)}")
    try:
        yield
    finally:
        for db, size in before:
            execute(f"PRAGMA {db}.cache_size = {int(size)}")


def raw_connection() -> Any:
    """The DB-API connection under Django's (psycopg or sqlite3), opened if need be."""
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    return raw


def _log(sql: str) -> None:
    """Enter a statement sent past Django's cursor in its query log, when the log is kept."""
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": "0.000"})


def analyze(table: str) -> None:
    """Refresh PostgreSQL's statistics of a table after a bulk write (SQLite plans without them).

    Without it the planner takes a million new rows for the few thousand it last saw, and picks
    plans for that (seen: a sort before an aggregate, 470 ms instead of ~100 ms).
    """
    if connection.vendor == "postgresql":
        execute(f"ANALYZE {connection.ops.quote_name(table)}")


# ---------------------------------------------------------------------------------------------
# Setting indexes and constraints aside


@dataclass(frozen=True)
class Droppable:
    """What :func:`set_aside` drops from one table: (name, definition) of each, by name."""

    indexes: tuple[tuple[str, str], ...]  # CREATE [UNIQUE] INDEX statements
    uniques: tuple[tuple[str, str], ...]  # PostgreSQL UNIQUE constraints (SQLite has them in the table)
    foreign_keys: tuple[tuple[str, str], ...]  # PostgreSQL only (SQLite's are part of the table)


@dataclass(frozen=True)
class Rebuild:
    """One statement that puts back what :func:`set_aside` dropped."""

    name: str
    sql: str
    unique: bool  # a failure means duplicate keys


def droppable(table: str) -> Droppable:
    """The secondary indexes, unique constraints and foreign keys of ``table`` that a bulk load can drop.

    Kept always: the primary key, and whatever a foreign key relies on (the index behind a unique
    constraint another table refers to). On SQLite, UNIQUE and FOREIGN KEY clauses written in
    CREATE TABLE (Django's ``unique=True`` and unconditional ``UniqueConstraint``) cannot be
    dropped without rebuilding the table, so they stay and check row by row.
    """
    if connection.vendor != "postgresql":
        rows = fetch(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
            [table],
        )
        return Droppable(tuple((str(n), str(s)) for n, s in rows), (), ())
    indexes = fetch(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
        [table],
    )
    uniques = fetch(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype = 'u'"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid) ORDER BY c.conname",
        [table],
    )
    foreign_keys = fetch(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'"
        " ORDER BY conname",
        [table],
    )
    return Droppable(*(tuple((str(n), str(s)) for n, s in rows) for rows in (indexes, uniques, foreign_keys)))


def set_aside(tables: Iterable[str]) -> list[Rebuild]:
    """Drop the tables' secondary indexes, unique constraints and foreign keys; return what puts them back.

    For a load that at least doubles a table: building an index once, by sorting, and checking a
    constraint once, by one pass over the table, beats updating and checking them row by row
    (PostgreSQL's manual, "Populating a Database"; measured in docs/benchmarks.md: on 258,000
    activities the indexed COPY took 5.8 s against 0.6 s bare, and row-by-row foreign key checks
    12 s more). Run it and :func:`restore` in one transaction: the drops roll back with a failed load.

    Unique constraints and unique indexes are set aside too, on both databases (the import used
    to and the demo did not): they cost what the other indexes cost per row, and nothing is lost
    by checking them at the end, because :func:`restore` checks every row, in the same transaction,
    and says which one failed (:class:`DuplicateKeys`). The import's first load relies on it: it
    finds duplicate ids there instead of staging every row first. A caller that needs keys checked
    as rows arrive (an ``ON CONFLICT`` upsert) must not set aside the constraint it conflicts on;
    SQLite keeps the ones Django writes into the table, which is where such constraints live.
    """
    found = [(table, droppable(table)) for table in tables]
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        execute("SET CONSTRAINTS ALL IMMEDIATE")  # run pending deferred checks now: ALTER TABLE refuses to run with any pending
    indexes: list[Rebuild] = []
    uniques: list[Rebuild] = []
    foreign_keys: list[Rebuild] = []
    for table, parts in found:
        for name, sql in parts.indexes:
            execute(f"DROP INDEX {qn(name)}")
            indexes.append(Rebuild(name, sql, unique=" UNIQUE " in f" {sql.upper()} "))
        for name, _sql in [*parts.uniques, *parts.foreign_keys]:
            execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        add = f"ALTER TABLE {qn(table)} ADD CONSTRAINT"
        uniques += [Rebuild(name, f"{add} {qn(name)} {sql}", unique=True) for name, sql in parts.uniques]
        foreign_keys += [Rebuild(name, f"{add} {qn(name)} {sql}", unique=False) for name, sql in parts.foreign_keys]
    return [*indexes, *uniques, *foreign_keys]


def restore(rebuilds: Sequence[Rebuild]) -> None:
    """Put back what :func:`set_aside` dropped; raise :class:`DuplicateKeys` when a unique one finds duplicates.

    Other failures (a row whose foreign key points nowhere) raise IntegrityError as they are. Either
    way the transaction must then roll back, which the callers' ``transaction.atomic`` does. On
    PostgreSQL, constraint checks go back to deferred (Django's default) afterwards.
    """
    if not rebuilds:
        return
    postgres = connection.vendor == "postgresql"
    if postgres:
        execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_MEM}'")
    for rebuild in rebuilds:
        try:
            execute(rebuild.sql)
        except IntegrityError:
            if not rebuild.unique:
                raise
            raise DuplicateKeys(rebuild.name) from None
    if postgres:
        execute("SET CONSTRAINTS ALL DEFERRED")


# ---------------------------------------------------------------------------------------------
# Writing rows


@dataclass(frozen=True)
class Batch:
    """Rows ready to send to one table: COPY text (PostgreSQL) or one list per column (SQLite)."""

    table: str
    columns: tuple[str, ...]
    data: Any
    rows: int

    @property
    def statement(self) -> str:
        names = ", ".join(self.columns)
        if connection.vendor == "postgresql":
            return f"COPY {self.table} ({names}) FROM STDIN"
        return f"INSERT INTO {self.table} ({names}) VALUES ({', '.join('?' for _ in self.columns)})"

    def send(self, raw: Any, statement: str) -> None:
        """Write over the raw DB-API connection (safe from a worker thread: it touches no Django state)."""
        if isinstance(self.data, str):
            with raw.cursor() as cur, cur.copy(statement) as copy:
                copy.write(self.data)
        else:
            raw.executemany(statement, zip(*self.data, strict=True))


def model_columns(model: type[models.Model], names: Iterable[str]) -> list[tuple[str, Kind]]:
    """(database column, kind) of each named field of ``model`` (a field's name or its ``_id`` column)."""
    out: list[tuple[str, Kind]] = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)
        out.append((str(field.column), _kind(field)))
    return out


def _kind(field: models.Field[Any, Any]) -> Kind:
    if isinstance(field, models.ForeignKey | models.AutoField | models.BigAutoField):
        return "id"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.IntegerField):
        return "int"
    if isinstance(field, models.DecimalField):
        return "money" if field.decimal_places == 2 else "number"
    if isinstance(field, models.FloatField):
        return "number"
    if isinstance(field, models.DateTimeField):  # before DateField: it is one
        return "ts"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.CharField | models.TextField):
        return "text"
    raise ValueError(f"{field!r}: no bulk format for {type(field).__name__}")


def format_rows(table: str, columns: Columns, frame: pd.DataFrame, *, index_as: str | None = None) -> Batch:
    """Format ``frame``'s ``columns`` for ``table``; the column named ``index_as`` comes from the frame's index.

    Whole columns at a time: ids, numbers and dates repeat a lot (20,000 accounts over 1M deals, a
    few thousand days), so each distinct value is formatted once and the column gathered from
    those; only the rows are assembled one by one, by C-level joins. Touches no database.
    """
    pg = connection.vendor == "postgresql"
    data = [_column(frame.index if name == index_as else frame[name], kind, pg) for name, kind in columns]
    payload: Any = "\n".join(map("\t".join, zip(*data, strict=True))) + "\n" if pg else data
    return Batch(table, tuple(name for name, _kind in columns), payload, len(frame))


def write(table: str, columns: Columns, frame: pd.DataFrame, *, chunk_rows: int | None = None) -> int:
    """Write every row of ``frame`` into ``table``, ``chunk_rows`` at a time; return the count.

    On PostgreSQL the server stores one chunk while Python formats the next (:class:`BackgroundWriter`);
    everything is written when this returns.
    """
    step = chunk_rows or CHUNK_ROWS
    writer = BackgroundWriter()
    try:
        for start in range(0, len(frame), step):
            writer.submit(format_rows(table, columns, frame.iloc[start : start + step]))
        writer.wait()
    finally:
        writer.close()
    return len(frame)


class BackgroundWriter:
    """Sends batches; on PostgreSQL from a worker thread while the caller formats the next one.

    PostgreSQL parses and stores a COPY in its own process, and the driver releases the GIL while it
    waits, so the server's share overlaps Python's work on the next chunk (1M deals imported:
    32.5 -> 28.3 s). SQLite runs in this process and binding parameters needs the GIL: a thread there
    only made the two fight (21.9 -> 32.9 s), so SQLite writes inline. At most one batch is in
    flight; call ``wait()`` before anything else uses the connection, and ``close()`` at the end.
    """

    def __init__(self) -> None:
        self.raw = raw_connection()
        self.pending: Future[None] | None = None
        self.pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="kk-bulk-writer") if connection.vendor == "postgresql" else None
        )

    def submit(self, batch: Batch) -> None:
        if not batch.rows:
            return
        statement = batch.statement
        self.wait()
        _log(statement)
        if self.pool is None:
            with connection.wrap_database_errors:  # the driver's errors as Django's (IntegrityError, ...)
                batch.send(self.raw, statement)
        else:
            self.pending = self.pool.submit(batch.send, self.raw, statement)

    def wait(self) -> None:
        """Block until the batch in flight is written; raise what writing it raised (as Django's errors)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            with connection.wrap_database_errors:
                pending.result()

    def close(self) -> None:
        try:
            if self.pending is not None:
                concurrent.futures.wait([self.pending])
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)


_INT_NULL = int(np.iinfo(np.int64).min)
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _column(series: pd.Series | pd.Index, kind: Kind, pg: bool) -> list[Any]:
    """One column as a list: COPY text (NULL as \\N) on PostgreSQL, Python values (None for NULL) on SQLite."""
    null: Any = "\\N" if pg else None
    if isinstance(series, pd.Index):
        rows = series.to_numpy(dtype=np.int64).tolist()
        return list(map(str, rows)) if pg else rows
    if kind == "text":
        values = series.astype(object)
        missing = values.isna().to_numpy()
        if pg and _COPY_SPECIAL.search("\x00".join(values[~missing].tolist())):
            values = values.str.replace("\\", "\\\\", regex=False).str.replace("\t", "\\t", regex=False)
            values = values.str.replace("\n", "\\n", regex=False).str.replace("\r", "\\r", regex=False)
        return _with_nulls(values.tolist(), missing, null)
    if kind in {"date", "ts"}:
        stamps = pd.to_datetime(series).to_numpy(dtype="datetime64[s]")
        if kind == "date":
            days = stamps.astype("datetime64[D]")
            return _spread(days, lambda u: np.datetime_as_string(u.astype("datetime64[D]")).tolist(), null)
        suffix = "+00:00" if pg else ""  # SQLite: as Django stores an aware datetime there (UTC, no offset)
        return _spread(
            stamps, lambda u: [s.replace("T", " ") + suffix for s in np.datetime_as_string(u, unit="s").tolist()], null
        )
    if kind == "bool":
        flags = series.astype(object)
        missing = flags.isna().to_numpy()
        truth = flags.fillna(False).astype(bool).to_numpy()
        return _with_nulls(np.where(truth, "t", "f").tolist() if pg else truth.tolist(), missing, null)
    numbers = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
    if kind in {"id", "int"}:
        missing = np.isnan(numbers)
        ints = np.where(missing, 0, numbers).astype(np.int64)
        ints[missing] = _INT_NULL  # factorized apart from every real value, then made NULL
        return _spread(ints, lambda u: [null if v == _INT_NULL else (str(v) if pg else v) for v in u.tolist()], null)
    if kind == "money":
        numbers = numbers.round(2)
    missing = np.isnan(numbers)
    out = list(map("%.2f".__mod__, numbers.tolist())) if pg and kind == "money" else numbers.tolist()
    if pg and kind != "money":
        out = list(map(repr, out))
    return _with_nulls(out, missing, null)


def _spread(values: np.ndarray, render: Callable[[np.ndarray], list[Any]], null: Any) -> list[Any]:
    """Render each distinct value once, then gather the column from them; NaT / NaN become ``null``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rendered = np.empty(len(uniques) + 1, dtype=object)
    rendered[: len(uniques)] = render(np.asarray(uniques))
    rendered[-1] = null  # code -1: a missing value
    gathered: list[Any] = rendered[codes].tolist()
    return gathered


def _with_nulls(values: list[Any], missing: np.ndarray, null: Any) -> list[Any]:
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            values[i] = null
    return values


# ---------------------------------------------------------------------------------------------
# Reading a frame


def read_frame(sql: str, params: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """Run one query and return its rows as a data frame named ``columns``: COPY on PostgreSQL, for speed.

    PostgreSQL's CSV comes back through pandas' parser, so numbers arrive as numbers and NULL as NaN
    (an empty text is read as NaN too: callers fill it); SQLite's rows as the driver returns them.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, list(params))
            return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        buffer = io.BytesIO()
        statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        with cursor.cursor.copy(statement, list(params)) as copy:  # the psycopg cursor under Django's wrapper
            for chunk in copy:
                buffer.write(chunk)
        if connection.queries_logged and params:  # the log shows the statement as sent (values bound), as Django's does
            statement = cursor.cursor.mogrify(statement, list(params))
    _log(statement)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    buffer.seek(0)
    return pd.read_csv(buffer, names=columns, header=None, keep_default_na=False, na_values=[""])
