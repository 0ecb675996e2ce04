"""Reference maps: external id or name -> primary key, loaded once per import, and the rows created for what is missing."""

# ruff: noqa: S608  - SQL here is assembled from model metadata and constants only; values always travel as parameters
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, models
from django.db.models import Exists, OuterRef, Subquery

from kokyaku.crm.models import Account, Rep
from kokyaku.imports.errors import gettext_noop
from kokyaku.imports.japanese import name_key
from kokyaku.imports.models import MergedId

# records whose merged duplicates' external ids stay theirs (kokyaku.imports.merge): model -> MergedId.kind
ALIASED: dict[type[models.Model], str] = {Account: "account", Rep: "rep"}

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


class RefMap:
    """External id -> pk and unique name -> pk for one model, loaded once, grown as rows are created."""

    def __init__(self, model: type[models.Model], *, key: str = "external_id", name: str | None = "name") -> None:
        self.model = model
        self.by_key: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        self.matched: dict[str, str] = {}  # reference -> the name it was matched to by its name key (reported)
        self._keys: dict[str, int | None] | None = (
            None  # name key -> pk (None: several records share it), built when first needed
        )
        self._names: dict[int, str] = {}
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
        self.aliases: dict[str, str] = {}  # a merged record's external id -> the kept record's
        self.via_alias: set[str] = set()  # the aliases this import met (reported)
        if key == "external_id" and model in ALIASED:
            for alias, (pk, kept_key) in merged_ids(model).items():
                self.by_key[alias] = pk
                self.aliases[alias] = kept_key

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
        if self.aliases:  # B merged into A: B's id lands on A (noted once per alias)
            self.via_alias.update(pd.unique(values[refs.isin(list(self.aliases)).to_numpy()]).tolist())
        missing = np.isnan(ids) & filled
        keyed = self.keyed() if missing.any() and self.by_name else {}
        if keyed:  # 株式会社ABC商事 / (株)ABC商事: one customer under one name (each distinct reference keyed once)
            unread = values[missing]
            found = {v: pk for v in pd.unique(unread).tolist() if (k := name_key(v)) and (pk := keyed.get(k)) is not None}
            if found:
                ids[missing] = np.array([found.get(v, np.nan) for v in unread.tolist()], dtype=np.float64)
                for written, pk in found.items():
                    self.matched.setdefault(written, self._names.get(pk, ""))
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

    def keyed(self) -> dict[str, int | None]:
        """Name key -> pk of every record (by name and by external id), None where several records share a key."""
        if self._keys is None:
            self._keys = {}
            self._names = {pk: name for name, pk in self.by_name.items()}
            for label, pk in [*self.by_name.items(), *self.by_key.items()]:
                self._key(label, pk)
        return self._keys

    def _key(self, label: str, pk: int) -> None:
        assert self._keys is not None
        if key := name_key(label):
            self._keys[key] = pk if self._keys.get(key, pk) == pk else None

    def add(self, key: str, pk: int, name: str | None = None) -> None:
        self._tables.clear()
        self.by_key[key] = pk
        if name and name not in self.by_name:
            self.by_name[name] = pk
        if self._keys is not None and self.by_name:
            self._names.setdefault(pk, name or key)
            self._key(key, pk)
            if name:
                self._key(name, pk)


def merged_ids(model: type[models.Model]) -> dict[str, tuple[int, str]]:
    """External ids of ``model``'s records merged into another (kokyaku.imports.merge): alias -> (kept pk, kept external id).

    One query. An alias that a record has itself (created again since the merge) is left out, as is
    one whose kept record was deleted since.
    """
    if model not in ALIASED:
        return {}
    manager = model._default_manager
    kept = manager.filter(pk=OuterRef("record_id"))
    rows = (
        MergedId.objects.filter(kind=ALIASED[model])
        .annotate(kept_pk=Subquery(kept.values("pk")[:1]), kept_key=Subquery(kept.values("external_id")[:1]))
        .filter(kept_pk__isnull=False)
        .exclude(Exists(manager.filter(external_id=OuterRef("external_id"))))
        .values_list("external_id", "kept_pk", "kept_key")
    )
    return {str(alias): (int(pk), str(key or "")) for alias, pk, key in rows.iterator(chunk_size=20_000)}


def _take(pks: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """pks at positions, NaN where a position is -1 (not found)."""
    if not len(pks):
        return np.full(len(positions), np.nan)
    return np.where(positions >= 0, pks[np.maximum(positions, 0)], np.nan)


def insert_returning(model: type[models.Model], columns: list[str], values: list[tuple[Any, ...]]) -> list[tuple[str, int, str]]:
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
