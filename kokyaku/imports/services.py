"""Write imports to the database: stage every row, then one upsert, all in one transaction.

PostgreSQL: rows are COPYed into a TEMP staging table; SQLite: inserted with executemany in large
batches. Then, on both, one ``INSERT ... SELECT ... ON CONFLICT (external_id) DO UPDATE ... WHERE
<a mapped column changed>`` writes the target table, after one join counted what will be created,
updated and left unchanged. Only id maps (external id / name -> primary key) are kept in memory.
"""

# ruff: noqa: S608  - SQL here is assembled from model metadata and constants only; values always travel as parameters
from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import functools
import io
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from kokyaku.crm.models import Account, Activity, CompanySettings, Deal, LostReason, Rep, Team
from kokyaku.imports.errors import ImportFileError, ImportInvalid, Message, Problem, gettext_noop, message_json
from kokyaku.imports.fields import schema
from kokyaku.imports.i18n import translated
from kokyaku.imports.mapping import BUILTIN_NAMES, Mapping, mapping_load, mapping_parse
from kokyaku.imports.models import ImportRun, SavedMapping, rejects_dir
from kokyaku.imports.reader import open_table
from kokyaku.imports.validate import Columns, chunk_check, columns_resolve
from kokyaku.users.roles import is_manager

MAX_PROBLEMS_KEPT = 1000
# a reference that names no record, or a name that several records share (per kind of record referred to)
NOT_FOUND = {
    "account": gettext_noop("no account with this external id or name"),
    "rep": gettext_noop("no rep with this external id or name"),
    "team": gettext_noop("no team with this external id or name"),
    "deal": gettext_noop("no deal with this external id or name"),
    "lost reason": gettext_noop("no lost reason with this external id or name"),
}
AMBIGUOUS = {
    "account": gettext_noop("several accounts have this name; use the external id"),
    "rep": gettext_noop("several reps have this name; use the external id"),
    "team": gettext_noop("several teams have this name; use the external id"),
    "deal": gettext_noop("several deals have this name; use the external id"),
    "lost reason": gettext_noop("several lost reasons have this name; use the external id"),
}
BULK_ROWS = 100_000  # from this many new rows on, secondary indexes are rebuilt rather than updated
BULK_MAINTENANCE_MEM = "256MB"  # PostgreSQL: memory for rebuilding indexes after a bulk load
SQLITE_CACHE_KB = 128 * 1024  # a bigger page cache for the import's connection: index updates stay in memory
Progress = Callable[[int, int], None]

# Staging column types: (PostgreSQL, SQLite). SQLite types keep the same affinity Django gives
# the target columns, so values compare equal after a round trip.
SQL_TYPES = {
    "text": ("text", "text"),
    "id": ("bigint", "integer"),
    "money": ("numeric(18,2)", "decimal"),
    "number": ("numeric", "real"),
    "date": ("date", "date"),
    "ts": ("timestamp with time zone", "datetime"),
    "bool": ("boolean", "bool"),
    "int": ("integer", "integer"),
}


@dataclass
class ImportSummary:
    """What an import did (or, with dry_run, would do)."""

    kind: str
    file: str
    mapping: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    skipped_reason: str = ""
    accounts_created: int = 0
    reps_created: int = 0
    teams_created: int = 0
    invoices: int = 0
    credit_notes: int = 0
    credit_total: float = 0.0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks and the curious
    history_id: int | None = None  # its line in the import history (ImportRun), when recorded

    def lap(self, phase: str, since: float) -> float:
        """Add the time since ``since`` to ``phase``; return now."""
        now = time.perf_counter()
        self.timings[phase] = round(self.timings.get(phase, 0.0) + now - since, 3)
        return now

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = [asdict(p) for p in self.problems]
        return data


# ---------------------------------------------------------------------------------------------
# Reference maps


class RefMap:
    """External id -> pk and unique name -> pk for one model, loaded once, grown as rows are created."""

    def __init__(self, model: type[models.Model], *, key: str = "external_id", name: str | None = "name") -> None:
        self.model = model
        self.by_key: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        self._tables: dict[str, tuple[pd.Index, np.ndarray]] = {}
        cols = [key, "pk"] + ([name] if name else [])
        for row in model._default_manager.values_list(*cols).iterator(chunk_size=20_000):
            if row[0]:
                self.by_key[str(row[0])] = int(row[1])
            if name and row[2]:
                label = str(row[2])
                if label in self.by_name and self.by_name[label] != row[1]:
                    self.ambiguous.add(label)
                self.by_name[label] = int(row[1])

    def lookup(self, refs: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Return (pk or NaN, missing mask, ambiguous-name mask) for a column of references.

        The keys sit in a pandas Index kept between chunks, so its hash table is built once (not
        once per chunk, as ``Series.map(dict)`` does), and each chunk costs only its look-ups.
        """
        values = refs.to_numpy(dtype=object)
        filled = values != ""
        keys, pks = self._table("key")
        ids = _take(pks, keys.get_indexer(pd.Index(values, dtype=object)))
        todo = np.isnan(ids) & filled
        ambiguous = np.zeros(len(values), dtype=bool)
        if todo.any() and self.by_name:
            names, name_pks = self._table("name")
            ids[todo] = _take(name_pks, names.get_indexer(pd.Index(values[todo], dtype=object)))
            if self.ambiguous:
                ambiguous = todo & refs.isin(self.ambiguous).to_numpy() & ~refs.isin(list(self.by_key)).to_numpy()
        missing = np.isnan(ids) & filled
        index = refs.index
        return pd.Series(ids, index=index), pd.Series(missing, index=index), pd.Series(ambiguous, index=index)

    def _table(self, which: str) -> tuple[pd.Index, np.ndarray]:
        if which not in self._tables:
            mapping = self.by_key if which == "key" else self.by_name
            self._tables[which] = (
                pd.Index(list(mapping), dtype=object),
                np.fromiter(mapping.values(), dtype=np.float64, count=len(mapping)),
            )
        return self._tables[which]

    def add(self, key: str, pk: int, name: str | None = None) -> None:
        self._tables.clear()
        self.by_key[key] = pk
        if name and name not in self.by_name:
            self.by_name[name] = pk


def _take(pks: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """pks at positions, NaN where a position is -1 (not found)."""
    if not len(pks):
        return np.full(len(positions), np.nan)
    return np.where(positions >= 0, pks[np.maximum(positions, 0)], np.nan)


# ---------------------------------------------------------------------------------------------
# Plans: what each kind stages and how its references resolve


@dataclass
class Prepared:
    frame: pd.DataFrame  # staging columns, indexed by source row
    problems: list[Problem]
    bad: pd.Index


class Plan:
    kind: str
    target: type[models.Model]
    stage_columns: list[tuple[str, str]]  # (db column, SQL_TYPES key)
    field_columns: dict[str, str]  # Kokyaku field -> db column it writes
    timestamps = False

    def __init__(self, mapping: Mapping, columns: Columns, summary: ImportSummary, *, file: str) -> None:
        self.mapping = mapping
        self.columns = columns
        self.summary = summary
        self.file = file
        self.covered = set(columns.sources) | set(mapping.constants) | set(mapping.defaults)
        self.currency = CompanySettings.load().currency
        self.before_write: Callable[[], None] = lambda: None  # called before this plan writes (creates references)

    @property
    def update_columns(self) -> list[str]:
        """Columns an existing row gets from the file: those of the mapped fields, never the others."""
        cols = [col for f, col in self.field_columns.items() if f in self.covered and col != "external_id"]
        return list(dict.fromkeys(cols))

    def update_values(self) -> dict[str, str]:
        """What each updated column gets: an SQL expression over ``{s}`` (the staged row) and ``{t}`` (the stored one)."""
        return {c: f"{{s}}.{c}" for c in self.update_columns}

    def label(self, name: str) -> str:
        return self.columns.label(name)

    def prepare(self, data: pd.DataFrame) -> Prepared:
        raise NotImplementedError

    # helpers -------------------------------------------------------------------------------

    def text(self, data: pd.DataFrame, name: str, default: str = "") -> pd.Series:
        if name in data:
            return data[name].astype(object)
        return pd.Series([default] * len(data), index=data.index, dtype=object)

    def currency_or_default(self, data: pd.DataFrame) -> pd.Series:
        """The currency column (already upper-cased and checked against ISO 4217), the company's where empty."""
        codes = self.text(data, "currency")
        return codes.where(codes.to_numpy(dtype=object) != "", self.currency)

    def column(self, data: pd.DataFrame, name: str) -> pd.Series:
        if name in data:
            return data[name]
        return pd.Series([None] * len(data), index=data.index, dtype=object)

    def resolve(
        self,
        data: pd.DataFrame,
        name: str,
        refs: RefMap,
        problems: list[Problem],
        bad: pd.Series,
        *,
        create: Callable[[list[str], pd.DataFrame], None] | None = None,
        what: str,
    ) -> pd.Series:
        """Turn a ref column into pks; create what is missing (if allowed) or report it."""
        if name not in data:
            return pd.Series([None] * len(data), index=data.index, dtype=object)
        refs_col = data[name].astype(object)
        ids, missing, ambiguous = refs.lookup(refs_col)
        if ambiguous.any():
            several = Message(AMBIGUOUS[what])
            for row, value in zip(refs_col.index[ambiguous.to_numpy()], refs_col[ambiguous], strict=True):
                problems.append(Problem(self.file, int(row), self.label(name), str(value), several))
        bad |= ambiguous
        missing &= ~ambiguous
        if missing.any():
            if create is not None and not bad.all():
                wanted = pd.Series(refs_col[missing & ~bad]).drop_duplicates().tolist()
                self.before_write()  # a chunk may still be on its way to the staging table
                create(wanted, data[missing & ~bad])
                ids, missing, _amb = refs.lookup(refs_col)
                missing &= ~ambiguous
            unknown = Message(NOT_FOUND[what])
            for row, value in zip(refs_col.index[missing.to_numpy()], refs_col[missing], strict=True):
                problems.append(Problem(self.file, int(row), self.label(name), str(value), unknown))
            bad |= missing
        return ids

    def accounts_creator(self, accounts: RefMap, reps: RefMap | None = None) -> Callable[[list[str], pd.DataFrame], None]:
        def create(refs: list[str], rows: pd.DataFrame) -> None:
            first = rows.drop_duplicates(subset="account", keep="first")
            keys = first["account"].tolist()
            names = dict(zip(keys, first["account_name"].tolist(), strict=True)) if "account_name" in first else {}
            regions = dict(zip(keys, first["account_region"].tolist(), strict=True)) if "account_region" in first else {}
            stamp = connection.ops.adapt_datetimefield_value(timezone.now())
            values = [
                (ref, (str(names.get(ref) or "") or ref)[:300], str(regions.get(ref) or "")[:100], "", "unknown", stamp, stamp)
                for ref in refs
            ]
            columns = ["external_id", "name", "region", "industry", "buyer_type", "created_at", "updated_at"]
            for key, pk, name in _insert_returning(Account, columns, values):
                accounts.add(key, pk, name)
            self.summary.accounts_created += len(values)

        return create

    def reps_creator(self, reps: RefMap) -> Callable[[list[str], pd.DataFrame], None]:
        def create(refs: list[str], rows: pd.DataFrame) -> None:
            values = [(ref, ref[:200], "", "developing", 80, True) for ref in refs]
            columns = ["external_id", "name", "email", "tier", "capacity", "active"]
            for key, pk, name in _insert_returning(Rep, columns, values):
                reps.add(key, pk, name)
            self.summary.reps_created += len(values)

        return create


def _insert_returning(model: type[models.Model], columns: list[str], values: list[tuple[Any, ...]]) -> list[tuple[str, int, str]]:
    """Insert rows whose first column is external_id; return (external_id, pk, name) of each, in bulk.

    PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays) RETURNING`` (one round trip whatever the
    count); SQLite: executemany in-process, then the keys read back in batches.
    """
    table = model._meta.db_table
    if not values:
        return []
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            types = {f.column: str(f.db_type(connection)) for f in model._meta.concrete_fields if f.column in columns}
            arrays = [list(col) for col in zip(*values, strict=True)]
            unnest = ", ".join(f"%s::{types[c].split('(')[0]}[]" for c in columns)
            cur.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({unnest}) RETURNING external_id, id, name",
                arrays,
            )
            return [(str(k), int(pk), str(n)) for k, pk, n in cur.fetchall()]
        marks = ", ".join(["%s"] * len(columns))
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
        keys = [v[0] for v in values]
        found: list[tuple[str, int, str]] = []
        for start in range(0, len(keys), 5000):
            batch = keys[start : start + 5000]
            cur.execute(
                f"SELECT external_id, id, name FROM {table} WHERE external_id IN ({', '.join(['%s'] * len(batch))})", batch
            )
            found.extend((str(k), int(pk), str(n)) for k, pk, n in cur.fetchall())
    return found


def _finish(frame: dict[str, Any], index: pd.Index, bad: pd.Series, problems: list[Problem]) -> Prepared:
    df = pd.DataFrame(frame, index=index)
    keep = ~bad.to_numpy()
    return Prepared(df[keep], problems, index[bad.to_numpy()])


class AccountsPlan(Plan):
    kind = "accounts"
    target = Account
    timestamps = True
    stage_columns = [
        ("external_id", "text"), ("name", "text"), ("industry", "text"), ("region", "text"), ("employees", "int"),
        ("annual_revenue", "money"), ("owner_id", "id"), ("buyer_type", "text"),
    ]  # fmt: skip
    field_columns = {
        "external_id": "external_id", "name": "name", "industry": "industry", "region": "region",
        "employees": "employees", "annual_revenue": "annual_revenue", "owner": "owner_id", "buyer_type": "buyer_type",
    }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reps = RefMap(Rep) if "owner" in self.covered else None

    def prepare(self, data: pd.DataFrame) -> Prepared:
        problems: list[Problem] = []
        bad = pd.Series(False, index=data.index)
        owner = (
            self.resolve(data, "owner", self.reps, problems, bad, create=self.reps_creator(self.reps), what="rep")
            if self.reps
            else self.column(data, "owner")
        )
        frame = {
            "external_id": data["external_id"],
            "name": data["name"],
            "industry": self.text(data, "industry"),
            "region": self.text(data, "region"),
            "employees": self.column(data, "employees"),
            "annual_revenue": self.column(data, "annual_revenue"),
            "owner_id": owner,
            "buyer_type": self.text(data, "buyer_type").replace("", "unknown"),
        }
        return _finish(frame, data.index, bad, problems)


class RepsPlan(Plan):
    kind = "reps"
    target = Rep
    stage_columns = [
        ("external_id", "text"), ("name", "text"), ("email", "text"), ("team_id", "id"), ("tier", "text"),
        ("capacity", "int"), ("active", "bool"),
    ]  # fmt: skip
    field_columns = {
        "external_id": "external_id", "name": "name", "email": "email", "team": "team_id", "tier": "tier",
        "capacity": "capacity", "active": "active",
    }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = RefMap(Team, key="name", name=None)

    def prepare(self, data: pd.DataFrame) -> Prepared:
        problems: list[Problem] = []
        bad = pd.Series(False, index=data.index)

        def create_teams(names: list[str], rows: pd.DataFrame) -> None:
            objs = [Team(name=n[:100]) for n in names]
            Team.objects.bulk_create(objs)
            for obj in objs:
                self.teams.add(obj.name, obj.pk)
            self.summary.teams_created += len(objs)

        team = self.resolve(data, "team", self.teams, problems, bad, create=create_teams, what="team")
        capacity = self.column(data, "capacity")
        frame = {
            "external_id": data["external_id"],
            "name": data["name"],
            "email": self.text(data, "email"),
            "team_id": team,
            "tier": self.text(data, "tier").replace("", "developing"),
            "capacity": capacity.where(pd.notna(capacity), 80) if "capacity" in data else pd.Series(80, index=data.index),
            "active": self.column(data, "active") if "active" in data else pd.Series(True, index=data.index),
        }
        return _finish(frame, data.index, bad, problems)


class DealsPlan(Plan):
    kind = "deals"
    target = Deal
    stage_columns = [
        ("external_id", "text"), ("account_id", "id"), ("owner_id", "id"), ("name", "text"), ("product", "text"),
        ("amount", "money"), ("currency", "text"), ("stage", "text"), ("status", "text"), ("probability", "int"),
        ("opened_on", "date"), ("closed_on", "date"), ("expected_close_on", "date"), ("lost_reason_id", "id"),
        ("lost_note", "text"),
    ]  # fmt: skip
    field_columns = {
        "external_id": "external_id", "account": "account_id", "owner": "owner_id", "name": "name",
        "product": "product", "amount": "amount", "currency": "currency", "stage": "stage", "status": "status",
        "probability": "probability", "opened_on": "opened_on", "closed_on": "closed_on",
        "expected_close_on": "expected_close_on", "lost_reason": "lost_reason_id", "lost_note": "lost_note",
    }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = RefMap(Account)
        self.reps = RefMap(Rep) if "owner" in self.covered else None
        self.reasons = RefMap(LostReason, key="code", name=None) if "lost_reason" in self.covered else None
        self.open_dates_moved = 0

    def update_values(self) -> dict[str, str]:
        """As for every plan, plus the expected close date when only ``closed_on`` is mapped.

        CRM exports have one close date: the actual one on a closed deal, the expected one on an
        open deal. An open deal's date goes to ``expected_close_on``; a closed deal's forecast,
        which such a file does not carry, is kept as it was.
        """
        values = super().update_values()
        if "closed_on" not in self.covered:  # a deal reopened by a file without close dates loses its closed date
            values["closed_on"] = "CASE WHEN {s}.status = 'open' THEN NULL ELSE {t}.closed_on END"
        if "closed_on" in self.covered and "expected_close_on" not in self.covered:
            values["expected_close_on"] = (
                "CASE WHEN {s}.status = 'open' THEN {s}.expected_close_on ELSE {t}.expected_close_on END"
            )
        return values

    def close_dates(self, data: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """(closed_on, expected_close_on): an open deal has no closed date; its date in closed_on is its expected one."""
        none = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
        closed = data.get("closed_on", none)
        expected = data.get("expected_close_on", none)
        is_open = (data["status"] == "open").to_numpy()
        moved = is_open & closed.notna().to_numpy() & expected.isna().to_numpy()
        self.open_dates_moved += int(moved.sum())
        expected = expected.where(~moved, closed)
        return closed.where(~is_open), expected

    @staticmethod
    def closed_dates(external_ids: list[str]) -> dict[str, date]:
        """The stored closed date of those of these deals that have one (in batches: SQLite caps a query's parameters)."""
        found: dict[str, date] = {}
        for start in range(0, len(external_ids), 5_000):
            batch = external_ids[start : start + 5_000]
            stored = Deal.objects.filter(external_id__in=batch, closed_on__isnull=False).values_list("external_id", "closed_on")
            found.update((key, closed) for key, closed in stored if closed is not None)
        return found

    def prepare(self, data: pd.DataFrame) -> Prepared:
        problems: list[Problem] = []
        bad = pd.Series(False, index=data.index)
        account = self.resolve(
            data, "account", self.accounts, problems, bad, create=self.accounts_creator(self.accounts), what="account"
        )
        owner = (
            self.resolve(data, "owner", self.reps, problems, bad, create=self.reps_creator(self.reps), what="rep")
            if self.reps
            else self.column(data, "owner")
        )
        reason = (
            self.resolve(data, "lost_reason", self.reasons, problems, bad, what="lost reason")
            if self.reasons
            else self.column(data, "lost_reason")
        )
        closed_on, expected_close_on = self.close_dates(data)
        undated = (data["status"] != "open") & closed_on.isna()
        if undated.any() and "closed_on" not in self.covered:
            # a file without close dates: a closed deal keeps the date it has (staged with it, so the row
            # is valid as written); only one without is a problem
            stored = data["external_id"].map(self.closed_dates(data["external_id"][undated].tolist()))
            closed_on = closed_on.where(~undated, pd.to_datetime(stored).astype(closed_on.dtype))
            undated &= closed_on.isna()
        if undated.any():
            needs_date = Message(gettext_noop("a won or lost deal needs the date it closed"))
            problems.extend(
                Problem(self.file, int(row), self.label("closed_on"), "", needs_date) for row in data.index[undated.to_numpy()]
            )
            bad |= undated
        frame = {
            "external_id": data["external_id"],
            "account_id": account,
            "owner_id": owner,
            "name": self.text(data, "name"),
            "product": self.text(data, "product"),
            "amount": self.column(data, "amount"),
            "currency": self.currency_or_default(data),
            "stage": self.text(data, "stage"),
            "status": data["status"],
            "probability": self.column(data, "probability"),
            "opened_on": data["opened_on"],
            "closed_on": closed_on,
            "expected_close_on": expected_close_on,
            "lost_reason_id": reason,
            "lost_note": self.text(data, "lost_note"),
        }
        return _finish(frame, data.index, bad, problems)


class ActivitiesPlan(Plan):
    kind = "activities"
    target = Activity
    stage_columns = [
        ("external_id", "text"), ("account_id", "id"), ("rep_id", "id"), ("deal_id", "id"), ("kind", "text"),
        ("occurred_at", "ts"), ("minutes", "int"), ("note", "text"),
    ]  # fmt: skip
    field_columns = {
        "external_id": "external_id", "account": "account_id", "rep": "rep_id", "deal": "deal_id", "kind": "kind",
        "occurred_at": "occurred_at", "minutes": "minutes", "note": "note",
    }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = RefMap(Account)
        self.reps = RefMap(Rep) if "rep" in self.covered else None
        self.deals = RefMap(Deal, name=None) if "deal" in self.covered else None

    def prepare(self, data: pd.DataFrame) -> Prepared:
        problems: list[Problem] = []
        bad = pd.Series(False, index=data.index)
        account = self.resolve(data, "account", self.accounts, problems, bad, what="account")
        rep = self.resolve(data, "rep", self.reps, problems, bad, what="rep") if self.reps else self.column(data, "rep")
        deal = self.resolve(data, "deal", self.deals, problems, bad, what="deal") if self.deals else self.column(data, "deal")
        minutes = self.column(data, "minutes")
        frame = {
            "external_id": data["external_id"],
            "account_id": account,
            "rep_id": rep,
            "deal_id": deal,
            "kind": data["kind"],
            "occurred_at": data["occurred_at"],
            "minutes": minutes.where(pd.notna(minutes), 0) if "minutes" in data else pd.Series(0, index=data.index),
            "note": self.text(data, "note"),
        }
        return _finish(frame, data.index, bad, problems)


class PurchasesPlan(DealsPlan):
    """Invoice lines: staged line by line, then summed per invoice into won deals."""

    kind = "purchases"
    line_columns = [
        ("external_id", "text"),
        ("invoice", "text"),
        ("account_id", "id"),
        ("day", "date"),
        ("amount", "number"),
        ("currency", "text"),
    ]
    field_columns = {
        "invoice": "external_id", "account": "account_id", "amount": "amount", "currency": "currency",
        "date": "opened_on", "status": "status", "stage": "stage", "name": "name", "closed_on": "closed_on",
    }  # fmt: skip

    @property
    def update_columns(self) -> list[str]:
        return ["account_id", "name", "amount", "currency", "stage", "status", "opened_on", "closed_on"]

    def update_values(self) -> dict[str, str]:
        return {c: f"{{s}}.{c}" for c in self.update_columns}  # won deals: an expected close date is left alone

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "amount" not in self.covered and not {"quantity", "unit_price"} <= self.covered:
            raise ImportFileError.of(
                gettext_noop("%(file)s: purchases need an amount column, or quantity and unit price columns"), file=self.file
            )

    def prepare(self, data: pd.DataFrame) -> Prepared:
        problems: list[Problem] = []
        bad = pd.Series(False, index=data.index)
        account = self.resolve(
            data, "account", self.accounts, problems, bad, create=self.accounts_creator(self.accounts), what="account"
        )
        invoice = data["invoice"].astype(object)
        prefix = self.mapping.cancellation_prefix
        if prefix:
            cancels = invoice.str.startswith(prefix)
            invoice = invoice.where(~cancels, invoice.str.slice(len(prefix)))
        if "amount" in data:
            amount = data["amount"]
        else:
            amount = (data["quantity"] * data["unit_price"]).round(4)
            missing = data["quantity"].isna() | data["unit_price"].isna()
            both = Message(gettext_noop("quantity and unit price are both needed"))
            for row in data.index[missing.to_numpy()]:
                problems.append(Problem(self.file, int(row), self.label("quantity"), "", both))
            bad |= missing
        frame = {
            "external_id": self.mapping.id_prefix + invoice,
            "invoice": invoice,
            "account_id": account,
            "day": data["date"],
            "amount": amount,
            "currency": self.currency_or_default(data),
        }
        return _finish(frame, data.index, bad, problems)


PLANS: dict[str, type[Plan]] = {
    "accounts": AccountsPlan,
    "reps": RepsPlan,
    "deals": DealsPlan,
    "activities": ActivitiesPlan,
    "purchases": PurchasesPlan,
}


# ---------------------------------------------------------------------------------------------
# Staging tables


class Stage:
    """A TEMP table in the import's transaction, loaded with COPY (PostgreSQL) or executemany (SQLite).

    Each chunk's columns are turned into text (PostgreSQL) or plain Python values (SQLite) whole
    columns at a time, with NumPy; only the rows are assembled one by one, by C-level joins.
    """

    def __init__(self, name: str, columns: list[tuple[str, str]], *, direct: bool = False) -> None:
        """A new TEMP table ``name``; or, with ``direct``, the target table ``name`` itself (no ``_row``)."""
        self.name = name
        self.columns = list(columns) if direct else [*columns, ("_row", "int")]
        self.postgres = connection.vendor == "postgresql"
        self.direct = direct
        self.qualified = name if direct else f"pg_temp.{name}" if self.postgres else f"temp.{name}"
        self.rows = 0
        if direct:
            return
        slot = 0 if self.postgres else 1
        cols = ", ".join(f"{c} {SQL_TYPES[t][slot]}" for c, t in self.columns)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.qualified}")
            cur.execute(f"CREATE TEMP TABLE {name} ({cols})" + (" ON COMMIT DROP" if self.postgres else ""))

    def load(self, frame: pd.DataFrame) -> None:
        """Format and write one chunk, here and now."""
        if not frame.empty:
            self.write(_raw_connection(), self.format(frame), len(frame))

    def format(self, frame: pd.DataFrame) -> Any:
        """The chunk ready to send: COPY text (PostgreSQL) or the columns as lists (SQLite). Touches no database."""
        columns = [self._column(frame, col, kind) for col, kind in self.columns]
        if self.postgres:
            return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"
        return columns

    def write(self, raw: Any, batch: Any, rows: int) -> None:
        """Send a formatted chunk over the raw DB-API connection (safe from a worker thread: it holds no Django state)."""
        names = ", ".join(c for c, _t in self.columns)
        if self.postgres:
            with raw.cursor() as cur, cur.copy(f"COPY {self.name} ({names}) FROM STDIN") as copy:
                copy.write(batch)
        else:
            marks = ", ".join("?" for _ in self.columns)
            raw.executemany(f"INSERT INTO {self.name} ({names}) VALUES ({marks})", zip(*batch, strict=True))
        self.rows += rows

    def _column(self, frame: pd.DataFrame, col: str, kind: str) -> list[Any]:
        """One staging column as a list: COPY text (NULL as \\N) on PostgreSQL, Python values (None) on SQLite.

        Ids, numbers and dates repeat a lot (20,000 accounts over 1M deals, a few thousand days), so
        each distinct value is formatted once and the column is gathered from those (``_spread``).
        """
        pg = self.postgres
        null: Any = "\\N" if pg else None
        if col == "_row":
            rows = frame.index.to_numpy(dtype=np.int64).tolist()
            return list(map(str, rows)) if pg else rows
        series = frame[col]
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
            suffix = "+00:00" if pg else ""
            return _spread(
                stamps, lambda u: [s.replace("T", " ") + suffix for s in np.datetime_as_string(u, unit="s").tolist()], null
            )
        if kind == "bool":
            flags = series.astype(object)
            missing = flags.isna().to_numpy()
            truth = flags.fillna(False).astype(bool).to_numpy()
            out = np.where(truth, "t", "f").tolist() if pg else truth.tolist()
            return _with_nulls(out, missing, null)
        numbers = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
        if kind in {"id", "int"}:
            missing = np.isnan(numbers)
            ints = np.where(missing, 0, numbers).astype(np.int64)
            ints[missing] = np.iinfo(np.int64).min  # factorized apart from every real value, then made NULL
            return _spread(ints, lambda u: [null if v == _INT_NULL else (str(v) if pg else v) for v in u.tolist()], null)
        if kind == "money":
            numbers = numbers.round(2)
        missing = np.isnan(numbers)
        out = list(map("%.2f".__mod__, numbers.tolist())) if pg and kind == "money" else numbers.tolist()
        if pg and kind != "money":
            out = list(map(repr, out))
        return _with_nulls(out, missing, null)


_INT_NULL = int(np.iinfo(np.int64).min)


def _spread(values: np.ndarray, render: Callable[[np.ndarray], list[Any]], null: Any) -> list[Any]:
    """Render each distinct value once, then gather the column from them; NaT / NaN become ``null``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rendered = np.empty(len(uniques) + 1, dtype=object)
    rendered[: len(uniques)] = render(np.asarray(uniques))
    rendered[-1] = null  # code -1: a missing value
    gathered: list[Any] = rendered[codes].tolist()
    return gathered


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _with_nulls(values: list[Any], missing: np.ndarray, null: Any) -> list[Any]:
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            values[i] = null
    return values


def _raw_connection() -> Any:
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    return raw


class _Writer:
    """Sends staged chunks; on PostgreSQL from a worker thread while the next chunk is read and checked.

    PostgreSQL parses and stores a COPY in its own process, and the driver releases the GIL while it
    waits, so the server's share overlaps Python's work on the next chunk (1M deals: 32.5 -> 28.3 s).
    SQLite runs in this process and binding parameters needs the GIL: a thread there only made the
    two fight (21.9 -> 32.9 s), so SQLite writes inline. At most one chunk is in flight; ``wait()``
    runs before anything else uses the connection.
    """

    def __init__(self) -> None:
        self.raw = _raw_connection()
        self.pending: Future[None] | None = None
        self.pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="kk-import-writer")
            if connection.vendor == "postgresql"
            else None
        )

    def submit(self, stage: Stage, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        batch = stage.format(frame)
        self.wait()
        if self.pool is None:
            stage.write(self.raw, batch, len(frame))
        else:
            self.pending = self.pool.submit(stage.write, self.raw, batch, len(frame))

    def wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            if self.pending is not None:
                concurrent.futures.wait([self.pending])
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)


def _fetch(sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())


def _execute(sql: str, params: Iterable[Any] = ()) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return int(cur.rowcount or 0)


def _distinct(a: str, b: str) -> str:
    return f"{a} IS DISTINCT FROM {b}" if connection.vendor == "postgresql" else f"{a} IS NOT {b}"


# ---------------------------------------------------------------------------------------------
# The import


class _Rejects:
    """The rejects file: the source columns, then row, column and reason of every refused row."""

    def __init__(self, path: Path | None, header: list[str]) -> None:
        self.path = path
        self.handle: io.TextIOWrapper | None = None
        self.writer: Any = None
        if path is not None:
            self.handle = path.open("w", encoding="utf-8-sig", newline="")
            self.writer = csv.writer(self.handle)
            self.writer.writerow([*header, "row", "column", "reason"])

    def write(self, raw: pd.DataFrame, rows: Iterable[int], problems: list[Problem], reason: str = "") -> None:
        if self.writer is None:
            return
        by_row: dict[int, list[Problem]] = {}
        for p in problems:
            by_row.setdefault(p.row, []).append(p)
        wanted = [r for r in rows if r in raw.index]
        block = raw.loc[wanted].to_numpy().tolist() if wanted else []
        for row, values in zip(wanted, block, strict=True):
            found = by_row.get(int(row), [])
            column = "; ".join(dict.fromkeys(p.column for p in found)) if found else ""
            text = "; ".join(translated(p.reason) for p in found) if found else translated(reason)
            self.writer.writerow([*values, int(row), column, text])

    def write_plain(self, header_len: int, row: int, column: str, reason: str, values: dict[int, str] | None = None) -> None:
        if self.writer is None:
            return
        cells = [""] * header_len
        for i, v in (values or {}).items():
            cells[i] = v
        self.writer.writerow([*cells, row, column, translated(reason)])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class _Rollback(Exception):
    pass


class _Fallback(Exception):
    """A direct load met what only the staging path reports precisely; the pass is rolled back and redone."""

    seconds = 0.0


def import_run(
    *,
    kind: str,
    path: Path | str,
    mapping: Mapping | str | None = None,
    file_name: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: Path | str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = 100_000,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one file of ``kind`` through a mapping; all-or-nothing unless ``skip_invalid``.

    Raises ImportFileError when the file or mapping cannot be used at all, ImportInvalid when rows
    fail validation in all-or-nothing mode. Either way the database is left exactly as it was.
    """
    started = time.perf_counter()
    path = Path(path)
    file = file_name or path.name
    if kind not in PLANS:
        raise ImportFileError.of(
            gettext_noop("unknown kind %(kind)s; one of: %(kinds)s"), kind=repr(kind), kinds=", ".join(PLANS)
        )
    if not isinstance(mapping, Mapping):
        mapping = mapping_for(mapping, kind=kind)
    attempt = functools.partial(
        _attempt,
        kind=kind,
        path=path,
        file=file,
        mapping=mapping,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejects_path=Path(rejects_path) if rejects_path else None,
        encoding=encoding,
        delimiter=delimiter,
        chunk_rows=chunk_rows,
        progress=progress,
        started=started,
    )
    try:
        summary = attempt(direct=True)
    except _Fallback as fallback:
        # the file holds something only the staging table can explain row by row (a duplicate
        # id): everything the first pass did was rolled back; read the file again through staging
        summary = attempt(direct=False)
        summary.timings[f"first pass, rolled back ({fallback})"] = round(fallback.seconds, 3)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


HISTORY_PROBLEMS = 20  # problems kept with a refused or partly rejected run in the import history
SAVED_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


def mapping_for(name_or_path: str | None, *, kind: str) -> Mapping:
    """A built-in mapping by name, else one a manager saved under that name for ``kind``, else a TOML file by path."""
    name = name_or_path or "generic"
    if name not in BUILTIN_NAMES and SAVED_NAME.match(name):
        saved = SavedMapping.objects.filter(kind=kind, name=name).only("text").first()
        if saved is not None:
            return mapping_parse(saved.text, name=name, kind=kind)
    return mapping_load(name, kind=kind)


@transaction.atomic
def mapping_save(*, actor: Any, kind: str, name: str, text: str) -> SavedMapping:
    """Save (or replace) a mapping under ``name`` for ``kind``; managers only.

    The name is a lowercase slug (letters, digits, - and _), so that it also works as ``--mapping
    NAME`` and ``mapping=NAME``; it cannot be a built-in's. The text must be a valid mapping for
    ``kind``. Raises ValidationError (translated) with nothing saved otherwise.
    """
    if not is_manager(actor):
        raise PermissionDenied(gettext("Only managers can import data."))
    name = name.strip()
    if not SAVED_NAME.match(name):
        raise ValidationError(
            gettext("A mapping name is 1 to 60 lowercase letters, digits, - or _, starting with a letter; not %(name)s.")
            % {"name": repr(name)}
        )
    if name in BUILTIN_NAMES:
        raise ValidationError(gettext("%(name)s is a built-in mapping's name; choose another.") % {"name": repr(name)})
    try:
        mapping_parse(text, name=name, kind=kind)
    except ImportFileError as exc:
        raise ValidationError(translated(exc)) from None
    saved, _created = SavedMapping.objects.update_or_create(
        kind=kind, name=name, defaults={"text": text, "updated_by": actor if getattr(actor, "pk", None) else None}
    )
    return saved


def import_recorded(*, source: str, user: Any = None, **options: Any) -> ImportSummary:
    """:func:`import_run`, and a line in the import history (:class:`ImportRun`) whatever the outcome.

    ``source`` is web, api or cli; ``user`` who asked (None from the command line). A dry run is
    not recorded: it changes nothing. The line is written after the import's own transaction, so a
    refused import leaves only its history line behind.
    """
    if options.get("dry_run"):
        return import_run(**options)
    kept: Path | None = None
    if options.get("skip_invalid") and not options.get("rejects_path"):  # kept for download from the history
        rejects_dir().mkdir(parents=True, exist_ok=True)
        _prune_rejects()
        kept = options["rejects_path"] = rejects_dir() / f"{uuid.uuid4().hex}.csv"
    started = timezone.now()
    clock = time.perf_counter()
    kind = str(options["kind"])
    mapping = options.get("mapping")
    run = ImportRun(
        started_at=started,
        kind=kind,
        file_name=str(options.get("file_name") or Path(options["path"]).name)[:255],  # the history's column widths
        mapping=(mapping.name if isinstance(mapping, Mapping) else str(mapping or "generic"))[:255],
        source=source,
        user=user if getattr(user, "pk", None) else None,
    )
    try:
        summary = import_run(**options)
    except ImportInvalid as exc:
        run.outcome, run.problem_count = ImportRun.Outcome.REFUSED, exc.problem_count
        run.details = {"problems": [_problem_json(p) for p in exc.problems[:HISTORY_PROBLEMS]]}
        raise
    except ImportFileError as exc:
        run.outcome, run.details = ImportRun.Outcome.UNUSABLE, {"error": message_json(exc.message)}
        raise
    else:
        run.outcome = ImportRun.Outcome.IMPORTED
        for counted in ("rows", "created", "updated", "unchanged", "rejected", "skipped", "problem_count"):
            setattr(run, counted, getattr(summary, counted))
        run.mapping = summary.mapping[:255]
        run.details = {
            "problems": [_problem_json(p) for p in summary.problems[:HISTORY_PROBLEMS]],
            "notes": [message_json(n) for n in summary.notes],
        }
        if kept is not None and (summary.rejected or summary.skipped):
            run.rejects_file, kept = kept.name, None
        return summary
    finally:
        if kept is not None:
            kept.unlink(missing_ok=True)
        run.seconds = round(time.perf_counter() - clock, 3)
        if run.outcome:
            run.save()
            if run.outcome == ImportRun.Outcome.IMPORTED:
                summary.history_id = run.pk


def _prune_rejects() -> None:
    """Delete the kept rejects files older than KOKYAKU_REJECTS_KEEP_DAYS (their history lines stay, without the link)."""
    cutoff = time.time() - int(settings.REJECTS_KEEP_DAYS) * 86_400
    for path in rejects_dir().glob("*.csv"):
        with contextlib.suppress(OSError):  # another import may be pruning too
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _problem_json(problem: Problem) -> dict[str, object]:
    return {**asdict(problem), "reason": message_json(problem.reason)}


def _attempt(
    *,
    kind: str,
    path: Path,
    file: str,
    mapping: Mapping,
    dry_run: bool,
    skip_invalid: bool,
    rejects_path: Path | None,
    encoding: str | None,
    delimiter: str | None,
    chunk_rows: int,
    progress: Progress | None,
    started: float,
    direct: bool,
) -> ImportSummary:
    """One pass over the file in one transaction; ``direct`` allows writing straight into an empty target."""
    begun = time.perf_counter()
    table = open_table(
        path,
        name=file,
        encoding=encoding or mapping.encoding,
        delimiter=delimiter or mapping.delimiter,
        sheet=mapping.sheet,
        chunk_rows=chunk_rows,
    )
    summary = ImportSummary(kind=kind, file=file, mapping=mapping.name, dry_run=dry_run)
    rejects = _Rejects(rejects_path, table.header)
    tz = mapping.timezone or str(settings.TIME_ZONE)
    try:
        with table:
            columns = columns_resolve(table.header, mapping, file=file)
            if columns.absent:
                summary.notes.append(
                    Message(gettext_noop("not in the file, left as they are: %(columns)s"), columns=", ".join(columns.absent))
                )
            if mapping.skip_when_empty:
                summary.skipped_reason = Message(gettext_noop("%(fields)s empty"), fields=" or ".join(mapping.skip_when_empty))
            try:
                with _sqlite_cache(), transaction.atomic():
                    _run(table, mapping, columns, summary, rejects, tz=tz, skip_invalid=skip_invalid, progress=progress,
                         started=started, direct=direct)  # fmt: skip
                    if summary.problem_count and not skip_invalid:
                        raise ImportInvalid(summary.problems, summary.problem_count)
                    if dry_run:
                        raise _Rollback
                    ending = time.perf_counter()
                summary.lap("commit", ending)
            except _Rollback:
                pass
            except _Fallback as fallback:
                fallback.seconds = time.perf_counter() - begun
                raise
    finally:
        rejects.close()
    return summary


@contextlib.contextmanager
def _sqlite_cache() -> Iterator[None]:
    """On SQLite, a 128 MB page cache for the import, for the main database and for the temp one that
    holds the staging table (SQLite's default 2 MB sent 1M staged rows through a temp file: 18.6 ->
    18.0 CPU s); the connection's own settings come back afterwards (it may serve web requests next)."""
    if connection.vendor != "sqlite":
        yield
        return
    before = [(db, _fetch(f"PRAGMA {db}.cache_size")[0][0]) for db in ("main", "temp")]
    for db, _size in before:
        _execute(f"PRAGMA {db}.cache_size = -{SQLITE_CACHE_KB}")
    try:
        yield
    finally:
        for db, size in before:
            _execute(f"PRAGMA {db}.cache_size = {int(size)}")


def _keep(summary: ImportSummary, problems: list[Problem]) -> None:
    summary.problem_count += len(problems)
    room = MAX_PROBLEMS_KEPT - len(summary.problems)
    if room > 0:
        summary.problems.extend(problems[:room])


def _run(
    table: Any,
    mapping: Mapping,
    columns: Columns,
    summary: ImportSummary,
    rejects: _Rejects,
    *,
    tz: str,
    skip_invalid: bool,
    progress: Progress | None,
    started: float,
    direct: bool,
) -> None:
    plan = PLANS[mapping.kind](mapping, columns, summary, file=summary.file)
    purchases = isinstance(plan, PurchasesPlan)
    target = plan.target._meta.db_table
    if direct and connection.vendor == "postgresql" and not purchases and not plan.timestamps and _empty(target):
        _run_direct(table, mapping, columns, summary, rejects, plan, tz=tz, skip_invalid=skip_invalid, progress=progress,
                    started=started)  # fmt: skip
        return
    deal_stage = Stage("kk_import_stage", DealsPlan.stage_columns if purchases else plan.stage_columns)
    line_stage = Stage("kk_import_lines", PurchasesPlan.line_columns) if purchases else None
    lap = _read_check_write(
        table, mapping, columns, summary, rejects, plan, line_stage or deal_stage, "read, check, stage",
        tz=tz, skip_invalid=skip_invalid, progress=progress, started=started,
    )  # fmt: skip
    if summary.problem_count and not skip_invalid:
        return
    written = False
    if line_stage is None and connection.vendor == "sqlite" and _empty(plan.target._meta.db_table):
        # SQLite's first load into an empty table: the table's UNIQUE external_id finds duplicates
        # as the rows go in; only if it fails does the duplicate query run, to name every row
        # (that query costs 0.6 s per million rows otherwise).
        try:
            with transaction.atomic():
                _upsert(plan, deal_stage, summary, first_load=True)
            written = True
        except IntegrityError:
            summary.created = summary.updated = summary.unchanged = 0
    if not written:
        if line_stage is not None:
            _aggregate_purchases(summary, rejects, deal_stage, line_stage, len(table.header), skip_invalid=skip_invalid)
        else:
            _check_duplicates(summary, rejects, deal_stage, len(table.header), skip_invalid=skip_invalid)
        lap = summary.lap("duplicates" if line_stage is None else "sum invoices", lap)
        if summary.problem_count and not skip_invalid:
            return
        _upsert(plan, deal_stage, summary)
    # PostgreSQL drops TEMP tables on commit, but not when the import runs inside an outer transaction;
    # SQLite keeps them for the connection's life.
    for stage in (deal_stage, line_stage):
        if stage is not None:
            _execute(f"DROP TABLE IF EXISTS {stage.qualified}")


def _empty(target: str) -> bool:
    """Whether the target holds no row; on PostgreSQL after locking it against other writers."""
    if connection.vendor == "postgresql":
        _execute(f"LOCK TABLE {target} IN SHARE ROW EXCLUSIVE MODE")
    return not _fetch(f"SELECT 1 FROM {target} LIMIT 1")


def _run_direct(
    table: Any,
    mapping: Mapping,
    columns: Columns,
    summary: ImportSummary,
    rejects: _Rejects,
    plan: Plan,
    *,
    tz: str,
    skip_invalid: bool,
    progress: Progress | None,
    started: float,
) -> None:
    """PostgreSQL's first load into an empty table: every row is new, so no staging table, no counting join.

    The target's indexes and constraints are set aside, each chunk is COPYed straight in, and they
    are put back at the end. What staging would have checked is checked by the database: a
    duplicate external id fails the unique constraint, which sends the import back to the staging
    path (``_Fallback``) to report every row of it. This saves the backend about 3 of 11 CPU
    seconds per million deals (the staging COPY, the duplicate GROUP BY, the INSERT ... SELECT).
    SQLite gains nothing from it (20.7 s of CPU either way: inserting into the real table costs
    what staging and copying cost), so it always stages.
    """
    target = plan.target._meta.db_table
    restore = _set_aside(target)
    load = Stage(target, list(plan.stage_columns), direct=True)
    lap = _read_check_write(
        table, mapping, columns, summary, rejects, plan, load, "read, check, load",
        tz=tz, skip_invalid=skip_invalid, progress=progress, started=started,
    )  # fmt: skip
    if summary.problem_count and not skip_invalid:
        return
    summary.created = load.rows
    _restore(restore)
    summary.lap("rebuild indexes, constraints", lap)


def _read_check_write(
    table: Any,
    mapping: Mapping,
    columns: Columns,
    summary: ImportSummary,
    rejects: _Rejects,
    plan: Plan,
    stage: Stage,
    label: str,
    *,
    tz: str,
    skip_invalid: bool,
    progress: Progress | None,
    started: float,
) -> float:
    """Read and check every chunk while a worker thread writes the previous one into ``stage``.

    Records the phase timings under ``label`` and notes dates moved to expected close dates;
    returns the time the phase ended (for the next lap).
    """
    writer = _Writer()
    plan.before_write = writer.wait
    lap = summary.lap("open, load id maps", started)
    try:
        _stage_all(table, mapping, columns, summary, rejects, plan, stage, writer, tz=tz,
                   skip_invalid=skip_invalid, progress=progress)  # fmt: skip
        writer.wait()
    finally:
        writer.close()
    lap = summary.lap(label, lap)
    _note_moved_dates(plan, summary)
    return lap


def _note_moved_dates(plan: Plan, summary: ImportSummary) -> None:
    moved = getattr(plan, "open_dates_moved", 0)
    if moved:
        text = (
            gettext_noop("%(count)s open deal: the date in closed_on is stored as the expected close date")
            if moved == 1
            else gettext_noop("%(count)s open deals: the date in closed_on is stored as the expected close date")
        )
        summary.notes.append(Message(text, count=f"{moved:,}"))


def _stage_all(
    table: Any,
    mapping: Mapping,
    columns: Columns,
    summary: ImportSummary,
    rejects: _Rejects,
    plan: Plan,
    stage: Stage,
    writer: _Writer,
    *,
    tz: str,
    skip_invalid: bool,
    progress: Progress | None,
) -> None:
    """Read, check and resolve every chunk; hand the good rows to the writer."""
    for chunk in table.chunks():
        summary.rows += len(chunk)
        checked = chunk_check(chunk, mapping, columns, file=summary.file, timezone=tz)
        if len(checked.skipped):
            summary.skipped += len(checked.skipped)
            rejects.write(chunk, checked.skipped, [], f"skipped: {summary.skipped_reason}")
        problems = checked.problems
        bad = checked.bad
        writing = skip_invalid or summary.problem_count + len(problems) == 0
        if writing and len(checked.data):
            prepared = plan.prepare(checked.data)
            problems = sorted([*problems, *prepared.problems], key=lambda p: p.row)
            bad = bad.union(prepared.bad)
            if skip_invalid or not problems:
                writer.submit(stage, prepared.frame)
        if problems:
            _keep(summary, problems)
            summary.rejected += len(bad)
            rejects.write(chunk, bad, problems)
        if progress is not None:
            progress(table.done(), table.total)


def _check_duplicates(summary: ImportSummary, rejects: _Rejects, stage: Stage, width: int, *, skip_invalid: bool) -> None:
    dupes = _fetch(
        f"SELECT s._row, s.external_id, d.n, d.first_row FROM {stage.name} s JOIN ("
        f" SELECT external_id, COUNT(*) AS n, MIN(_row) AS first_row FROM {stage.name}"
        f" GROUP BY external_id HAVING COUNT(*) > 1) d ON d.external_id = s.external_id ORDER BY s._row"
    )
    if not dupes:
        return
    problems = [
        Problem(
            summary.file,
            int(row),
            "external_id",
            str(ext),
            Message(gettext_noop("duplicate external id: %(count)s rows have it (first on row %(first)s)"), count=n, first=first),
        )
        for row, ext, n, first in dupes
    ]
    _keep(summary, problems)
    for p in problems:
        rejects.write_plain(width, p.row, p.column, p.reason)
    summary.rejected += len(problems)
    if skip_invalid:
        _execute(
            f"DELETE FROM {stage.name} WHERE external_id IN"
            f" (SELECT external_id FROM {stage.name} GROUP BY external_id HAVING COUNT(*) > 1)"
        )


def _aggregate_purchases(
    summary: ImportSummary, rejects: _Rejects, stage: Stage, lines: Stage, width: int, *, skip_invalid: bool
) -> None:
    """Sum invoice lines into one purchase each; report invoices of two customers and net credits."""
    mixed = _fetch(
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
        _keep(summary, problems)
        for p in problems:
            rejects.write_plain(width, p.row, p.column, p.reason)
        summary.rejected += len(problems)
        if not skip_invalid:
            return
        _execute(
            f"DELETE FROM {lines.name} WHERE external_id IN (SELECT external_id FROM {lines.name}"
            f" GROUP BY external_id HAVING MIN(account_id) <> MAX(account_id))"
        )
    net = "ROUND(SUM(amount), 2)"
    credit = _fetch(
        f"SELECT COUNT(*), COALESCE(SUM(net), 0) FROM"
        f" (SELECT {net} AS net FROM {lines.name} GROUP BY external_id HAVING {net} <= 0) c"
    )
    summary.credit_notes = int(credit[0][0])
    summary.credit_total = float(credit[0][1])
    name = "'Invoice ' || MIN(invoice)"
    _execute(
        f"INSERT INTO {stage.name} (external_id, account_id, owner_id, name, product, amount, currency, stage, status,"
        f" probability, opened_on, closed_on, expected_close_on, lost_reason_id, lost_note, _row)"
        f" SELECT external_id, MIN(account_id), NULL, {name}, '', {net}, MIN(currency), 'purchase', 'won',"
        f" NULL, MIN(day), MIN(day), NULL, NULL, '', MIN(_row) FROM {lines.name} GROUP BY external_id HAVING {net} > 0"
    )
    summary.invoices = int(_fetch(f"SELECT COUNT(*) FROM {stage.name}")[0][0])


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """Return (name, CREATE statement) of the table's indexes that back no primary key or unique constraint."""
    if connection.vendor == "postgresql":
        rows = _fetch(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique",
            [table],
        )
    else:
        rows = _fetch("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table])
    return [(str(name), str(sql)) for name, sql in rows]


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    """Return (name, definition) of the table's foreign keys on PostgreSQL (SQLite does not enforce them per row)."""
    if connection.vendor != "postgresql":
        return []
    rows = _fetch(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    return [(str(name), str(sql)) for name, sql in rows]


def _unique_constraints(table: str) -> list[tuple[str, str]]:
    """Return (name, definition) of the table's UNIQUE constraints on PostgreSQL that no foreign key relies on."""
    if connection.vendor != "postgresql":
        return []  # SQLite's are part of the table definition
    rows = _fetch(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = %s::regclass"
        " AND c.contype = 'u' AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
        [table],
    )
    return [(str(name), str(sql)) for name, sql in rows]


def _upsert(plan: Plan, stage: Stage, summary: ImportSummary, *, first_load: bool = False) -> None:
    """Count created / updated / unchanged with one join, then write the target.

    SQLite: one ``INSERT ... SELECT ... ON CONFLICT (external_id) DO UPDATE ... WHERE <changed>``.
    PostgreSQL: the table is locked against other writers (reads go on), then one ``UPDATE ... FROM``
    for the changed rows and one plain ``INSERT ... SELECT`` of the new ones: with the counts known
    and no concurrent writer, ON CONFLICT's per-row speculative insertion is pure overhead (10.3 s
    against 7.7 s for 1M rows in a measurement; see docs/benchmarks.md).
    """
    lap = time.perf_counter()
    target = plan.target._meta.db_table
    postgres = connection.vendor == "postgresql"
    insert_cols = [c for c, _t in stage.columns if c != "_row"]
    updates = plan.update_values()
    changed = " OR ".join(_distinct(f"t.{c}", e.format(s="s", t="t")) for c, e in updates.items()) or "FALSE"
    if postgres:
        _execute(f"LOCK TABLE {target} IN SHARE ROW EXCLUSIVE MODE")
    staged = int(_fetch(f"SELECT COUNT(*) FROM {stage.name}")[0][0])
    existing = -1  # unknown: the counting join tells
    if first_load:
        existing = 0  # the caller saw the table empty, in this transaction
    elif staged >= BULK_ROWS:
        existing = int(_fetch(f"SELECT COUNT(*) FROM {target}")[0][0])
    if existing == 0:
        summary.created = staged  # an empty table: no join needed to know
    else:
        counts = _fetch(
            f"SELECT COALESCE(SUM(CASE WHEN t.id IS NULL THEN 1 ELSE 0 END), 0),"
            f" COALESCE(SUM(CASE WHEN t.id IS NOT NULL AND ({changed}) THEN 1 ELSE 0 END), 0), COUNT(*)"
            f" FROM {stage.name} s LEFT JOIN {target} t ON t.external_id = s.external_id"
        )[0]
        summary.created, summary.updated = int(counts[0]), int(counts[1])
        summary.unchanged = int(counts[2]) - summary.created - summary.updated
    if not summary.created and not summary.updated:
        summary.lap("count, write", lap)
        return
    params: list[Any] = []
    select = [f"s.{c}" for c in insert_cols]
    cols = list(insert_cols)
    sets = dict(updates)
    stamp: Any = None
    if plan.timestamps:
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        cols += ["created_at", "updated_at"]
        select += ["%s", "%s"]
        params += [stamp, stamp]
    if postgres and summary.updated:
        assignments = [f"{c} = {e.format(s='s', t='t')}" for c, e in sets.items()]
        if plan.timestamps:
            assignments.append("updated_at = %s")
        _execute(
            f"UPDATE {target} t SET {', '.join(assignments)} FROM {stage.name} s"
            f" WHERE t.external_id = s.external_id AND ({changed})",
            [stamp] if plan.timestamps else [],
        )
    if postgres and not summary.created:
        summary.lap("count, write", lap)
        return
    # A bulk load into a table no bigger than itself: building the secondary indexes once afterwards
    # is several times faster than updating them row by row. Same transaction, so still atomic.
    # (PostgreSQL's manual, "Populating a Database", says the same of foreign keys and unique
    # constraints: one check of the whole table when they are added back beats one per row.)
    bulk = summary.created >= BULK_ROWS and summary.created >= existing
    restore = _set_aside(target) if bulk else []
    if postgres or first_load:
        new_only = "" if existing == 0 else f" WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.external_id = s.external_id)"
        _execute(f"INSERT INTO {target} ({', '.join(cols)}) SELECT {', '.join(select)} FROM {stage.name} s{new_only}", params)
    else:
        assignments = [f"{c} = {e.format(s='excluded', t=target)}" for c, e in sets.items()]
        if plan.timestamps:
            assignments.append("updated_at = excluded.updated_at")
        where = " OR ".join(_distinct(f"{target}.{c}", e.format(s="excluded", t=target)) for c, e in updates.items())
        conflict = f"DO UPDATE SET {', '.join(assignments)} WHERE {where}" if updates else "DO NOTHING"
        _execute(
            f"INSERT INTO {target} ({', '.join(cols)}) SELECT {', '.join(select)} FROM {stage.name} s WHERE TRUE"
            f" ON CONFLICT (external_id) {conflict}",
            params,
        )
    lap = summary.lap("count, write", lap)
    if bulk:
        _restore(restore)
        summary.lap("rebuild indexes, constraints", lap)


def _set_aside(target: str) -> list[str]:
    """Drop the target's secondary indexes (and on PostgreSQL its foreign keys and unique constraints
    that no foreign key needs) before a bulk load; return the statements that put them back.

    A bulk load into a table no bigger than itself: building the indexes once afterwards is several
    times faster than updating them row by row, and PostgreSQL's manual ("Populating a Database")
    says the same of foreign keys and unique constraints: one check of the whole table when they
    are added back beats one per row. Same transaction, so still atomic.
    """
    rebuild = _secondary_indexes(target)
    foreign_keys = _foreign_keys(target)
    uniques = _unique_constraints(target)
    if connection.vendor == "postgresql":
        _execute("SET CONSTRAINTS ALL IMMEDIATE")  # run pending deferred checks now: ALTER / CREATE INDEX need none pending
        _execute(f"SET LOCAL maintenance_work_mem = '{BULK_MAINTENANCE_MEM}'")
    for name, _sql in rebuild:
        _execute(f'DROP INDEX "{name}"')
    for name, _sql in [*foreign_keys, *uniques]:
        _execute(f'ALTER TABLE {target} DROP CONSTRAINT "{name}"')
    return [
        *(sql for _name, sql in rebuild),
        *(f'ALTER TABLE {target} ADD CONSTRAINT "{name}" {sql}' for name, sql in [*uniques, *foreign_keys]),
    ]


def _restore(statements: list[str]) -> None:
    """Put back what ``_set_aside`` dropped. A duplicate external id (a direct load checks none) fails
    the unique constraint: that becomes a ``_Fallback`` to the staging path, which names the rows."""
    for sql in statements:
        try:
            _execute(sql)
        except IntegrityError:
            if " UNIQUE " not in sql:
                raise
            raise _Fallback("duplicate external ids") from None
    if connection.vendor == "postgresql":
        _execute("SET CONSTRAINTS ALL DEFERRED")


def fields_help(kind: str) -> list[str]:
    """Return one line per field of a kind, for --help and the web form."""
    lines = []
    for f in schema(kind).values():
        required = ", required" if f.required else ""
        lines.append(f"{f.name} ({f.type}{required})" + (f": {f.help}" if f.help else ""))
    return lines
