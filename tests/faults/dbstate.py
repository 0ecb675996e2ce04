"""Every table of a database as (row count, content hash): "exactly as before" made checkable."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol


class Cursor(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Any: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...


def tables(cursor: Cursor, vendor: str) -> list[str]:
    """The database's own tables (not SQLite's internal ones)."""
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return sorted(row[0] for row in cursor.fetchall())


def table_state(cursor: Cursor, vendor: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 of its rows (sorted, so the physical order does not matter)."""
    state = {}
    for table in tables(cursor, vendor):
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the catalogue
        rows = sorted(repr(row) for row in cursor.fetchall())
        state[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state
