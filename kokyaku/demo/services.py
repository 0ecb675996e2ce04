"""Load the synthetic demo portfolio into the database, in bulk and in one transaction.

PostgreSQL gets each chunk through ``COPY ... FROM STDIN`` (psycopg 3); SQLite through
``executemany`` in large batches. Primary keys are explicit (after the current maximum) so that
deals and activities can refer to rows written in the same chunk without reading them back;
PostgreSQL's sequences are reset afterwards.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from kokyaku.crm.models import Account, Activity, CompanySettings, Deal, LostReason, Rep, Target, Team
from kokyaku.crm.services import login_create
from kokyaku.demo.generator import Array, DemoGenerator, DemoSpec
from kokyaku.domain.errors import DomainError
from kokyaku.users.roles import Role

DEMO_PASSWORD = "kokyaku-demo"  # noqa: S105 - the published password of the demo logins, not a secret
SQLITE_BATCH = 50_000
# From this many accounts on, loads drop the non-unique indexes (and on PostgreSQL the foreign keys) of
# the account, deal and activity tables and restore them at the end (_drop_for_bulk_load,
# _drop_sqlite_indexes).
BULK_INDEX_THRESHOLD = 50_000

ProgressCallback = Callable[[int, int], None]


def _accounts(n: int) -> str:
    return f"{n:,} account" + ("" if n == 1 else "s")


class DemoError(Exception):
    """A user-facing reason the demo cannot be loaded."""


class DemoDatabaseNotEmpty(DemoError):
    """The database already holds accounts and ``force`` was not given."""

    def __init__(self, accounts: int) -> None:
        self.accounts = accounts
        self.what = f"the database already holds {_accounts(accounts)}"
        super().__init__(f"{self.what}; pass --force to add the demo anyway")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    rep: str  # the linked rep's name, "" for none
    created: bool  # False: a login with this name already existed and was left alone


@dataclass
class DemoResult:
    teams: int = 0
    reps: int = 0
    accounts: int = 0
    deals: int = 0
    activities: int = 0
    targets: int = 0
    seconds: float = 0.0
    rebuild_seconds: float = 0.0  # bulk loads: restoring indexes (and PostgreSQL's foreign keys); part of seconds
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.teams + self.reps + self.accounts + self.deals + self.activities + self.targets


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    columns = []
    for name in names:
        f = model._meta.get_field(name)
        assert isinstance(f, models.Field)
        columns.append(str(f.column))
    return columns


class _Writer:
    """Insert column arrays into one table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def dates(self, values: Array) -> Array:
        """Render datetime64[D] as ISO dates, NaT as NULL."""
        out = np.datetime_as_string(values.astype("datetime64[D]")).astype(object)
        out[np.isnat(values)] = None
        return out

    def timestamps(self, values: Array) -> Array:
        """Render UTC datetime64[s]: with an explicit offset for PostgreSQL, as Django stores them on SQLite."""
        text = np.datetime_as_string(values.astype("datetime64[s]"))
        if self.postgres:
            return np.char.add(text, "+00").astype(object)
        return np.char.replace(text, "T", " ").astype(object)

    @staticmethod
    def nullable(values: Array, missing: int = -1) -> Array:
        out = values.astype(object)
        out[values == missing] = None
        return out

    def write(self, model: type[models.Model], data: dict[str, Any], *, not_null_text: Sequence[str] = ()) -> int:
        """Write ``data`` (field name -> array or scalar) into ``model``'s table; return the row count."""
        n = max(len(v) for v in data.values() if isinstance(v, np.ndarray | list))
        if n == 0:
            return 0
        names = list(data)
        columns = _columns(model, names)
        table = model._meta.db_table
        qn = connection.ops.quote_name
        frame = pd.DataFrame(
            {c: (v if isinstance(v, np.ndarray | list) else [v] * n) for c, v in zip(columns, data.values(), strict=True)}
        )
        if self.postgres:
            buffer = io.StringIO()
            frame.to_csv(buffer, header=False, index=False)
            force = ", ".join(qn(c) for c in _columns(model, not_null_text))
            options = "FORMAT csv" + (f", FORCE_NOT_NULL ({force})" if force else "")
            sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN ({options})"
            with connection.cursor() as cursor, cursor.connection.cursor() as raw, raw.copy(sql) as copy:
                copy.write(buffer.getvalue())
        else:
            # Table and column names come from the models' _meta, quoted; values are parameters.
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES ({placeholders})"  # noqa: S608
            frame = frame.astype(object).where(frame.notna(), None)
            rows = list(frame.itertuples(index=False, name=None))
            with connection.cursor() as cursor:
                for start in range(0, n, SQLITE_BATCH):
                    cursor.executemany(sql, rows[start : start + SQLITE_BATCH])
        return n


def _drop_for_bulk_load(models_: Sequence[type[models.Model]]) -> list[str]:
    """Drop these tables' non-unique indexes and foreign keys; return the statements that restore them.

    PostgreSQL's advice for bulk loads ("Populating a Database"): build an index once, by sorting,
    and check a foreign key once, by one join, rather than row by row (the row-by-row checks cost
    five times the COPY itself). Primary keys and unique indexes stay, so keys are still checked as
    rows arrive; the rest is restored, and so checked, before the transaction commits.
    """
    indexes: list[str] = []
    foreign_keys: list[str] = []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
                foreign_keys.append(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                " WHERE indrelid = %s::regclass AND NOT indisunique AND NOT indisprimary",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                indexes.append(definition)
    return indexes + foreign_keys


def _drop_sqlite_indexes(models_: Sequence[type[models.Model]]) -> list[str]:
    """Drop these tables' non-unique indexes on SQLite; return the CREATE INDEX statements that restore them.

    The same idea as :func:`_drop_for_bulk_load`: SQLite builds an index from sorted rows far faster
    than it updates it row by row. Unique indexes (``sqlite_autoindex_*``, and any CREATE UNIQUE
    INDEX) stay, so duplicate keys still fail as rows arrive; DDL is transactional in SQLite, so a
    failed load leaves the indexes as they were.
    """
    tables = [m._meta.db_table for m in models_]
    placeholders = ", ".join(["%s"] * len(tables))
    restore: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({placeholders})",  # noqa: S608 - placeholders only
            tables,
        )
        for name, sql in cursor.fetchall():
            if str(sql).lstrip().upper().startswith("CREATE UNIQUE"):
                continue
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            restore.append(str(sql))
    return restore


def _max_id(model: type[models.Model]) -> int:
    value = model._default_manager.aggregate(m=models.Max("pk"))["m"]
    return int(value or 0)


def _unique_team_names(names: list[str]) -> list[str]:
    taken = set(Team.objects.values_list("name", flat=True))
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name} ({n})"
        taken.add(candidate)
        out.append(candidate)
    return out


def _lost_reason_ids(codes: Sequence[str]) -> dict[str, int | None]:
    """Map the generator's lost-reason codes to the company's rows ("other", else none, for a missing code)."""
    rows = dict(LostReason.objects.values_list("code", "pk"))
    fallback = rows.get("other")
    return {code: rows.get(code, fallback) for code in codes}


def _logins(reps: dict[str, Array], rep_ids: Array, team_names: list[str]) -> list[DemoLogin]:
    """Create the demo logins (manager, strong rep, developing rep, admin) in the first team."""
    index = reps["index"]
    in_first = reps["team"] == 0
    strong = index[in_first & (reps["tier"] == "strong")]
    developing = index[in_first & (reps["tier"] == "developing")]
    wanted: list[tuple[str, Role, int | None]] = [
        ("manager", Role.MANAGER, int(strong[0])),
        ("rep", Role.REP, int(strong[1])),
        ("rep2", Role.REP, int(developing[0])),
        ("admin", Role.ADMIN, None),
    ]
    existing = set(User.objects.filter(username__in=[w[0] for w in wanted]).values_list("username", flat=True))
    out = []
    for username, role, rep in wanted:
        rep_name = str(reps["name"][rep]) if rep is not None else ""
        if username in existing:
            out.append(DemoLogin(username, role.value, "", created=False))
            continue
        login_create(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            email=f"{username}@demo.example.jp",
            rep_id=int(rep_ids[rep]) if rep is not None else None,
        )
        out.append(DemoLogin(username, role.value, rep_name, created=True))
    return out


def demo_load(
    *,
    accounts: int = 2000,
    seed: int = 0,
    as_of: date | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    chunk_size: int = 20_000,
) -> DemoResult:
    """Fill the database with a seeded demo portfolio and demo logins; all or nothing.

    Refuses a database that already holds accounts unless ``force`` (then the demo is added beside
    them, with its own ids). ``progress(done, total)`` is called after each chunk of accounts.
    """
    started = time.perf_counter()
    with transaction.atomic():
        existing = Account.objects.count()
        if existing and not force:
            raise DemoDatabaseNotEmpty(existing)
        company = CompanySettings.load()
        try:
            spec = DemoSpec(
                accounts=accounts,
                seed=seed,
                as_of=as_of or timezone.localdate(),
                fiscal_year_start_month=company.fiscal_year_start_month,
                chunk_size=chunk_size,
            )
        except DomainError as exc:
            raise DemoError(str(exc)) from None
        gen = DemoGenerator(spec)
        writer = _Writer()
        result = DemoResult()
        tables = [Team, Rep, Account, Deal, Activity, Target]
        if writer.postgres:
            with connection.cursor() as cursor:
                # Explicit ids need the tables to ourselves; and foreign keys are checked at the end of
                # each COPY rather than queued for the commit (the queue would grow with the portfolio).
                names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
                cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        restore: list[str] = []
        if accounts >= BULK_INDEX_THRESHOLD and accounts > existing:
            bulk = [Account, Deal, Activity]
            restore = _drop_for_bulk_load(bulk) if writer.postgres else _drop_sqlite_indexes(bulk)

        team_names = _unique_team_names(gen.teams())
        Team.objects.bulk_create([Team(name=n) for n in team_names])
        team_ids = dict(Team.objects.filter(name__in=team_names).values_list("name", "pk"))
        team_pk = np.array([team_ids[n] for n in team_names])
        result.teams = len(team_names)

        reps = gen.reps()
        rep_ids = _max_id(Rep) + 1 + reps["index"]
        result.reps = writer.write(
            Rep,
            {
                "id": rep_ids,
                "external_id": np.char.add("DEMO-REP-", rep_ids.astype(str)).astype(object),
                "name": reps["name"],
                "email": reps["email"],
                "team": team_pk[reps["team"]],
                "tier": reps["tier"],
                "capacity": reps["capacity"],
                "active": True,
            },
            not_null_text=["external_id", "name", "email", "tier"],
        )

        account_base, deal_base, activity_base = _max_id(Account) + 1, _max_id(Deal) + 1, _max_id(Activity) + 1
        reasons = _lost_reason_ids(["price", "features", "competitor", "timing", "no_need", "rejected", "relationship", "other"])
        now = writer.timestamps(np.array([np.datetime64(timezone.now().replace(tzinfo=None), "s")]))[0]
        for chunk in gen.chunks():
            a, d, act = chunk.accounts, chunk.deals, chunk.activities
            account_ids = account_base + a["index"]
            result.accounts += writer.write(
                Account,
                {
                    "id": account_ids,
                    "external_id": np.char.add("DEMO-ACC-", account_ids.astype(str)).astype(object),
                    "name": a["name"],
                    "industry": a["industry"],
                    "region": a["region"],
                    "employees": a["employees"],
                    "annual_revenue": a["annual_revenue"],
                    "owner": rep_ids[a["owner"]],
                    "buyer_type": a["buyer_type"],
                    "created_at": now,
                    "updated_at": now,
                },
                not_null_text=["external_id", "name", "industry", "region", "buyer_type"],
            )
            deal_ids = deal_base + d["index"]
            lost_reason = np.array([reasons.get(c) if c else None for c in d["lost_reason"]], dtype=object)
            result.deals += writer.write(
                Deal,
                {
                    "id": deal_ids,
                    "external_id": np.char.add("DEMO-DEAL-", deal_ids.astype(str)).astype(object),
                    "account": account_base + d["account"],
                    "owner": rep_ids[d["owner"]],
                    "name": d["name"],
                    "product": d["product"],
                    "amount": d["amount"],
                    "currency": "JPY",
                    "stage": d["stage"],
                    "status": d["status"],
                    "probability": writer.nullable(d["probability"]),
                    "opened_on": writer.dates(d["opened_on"]),
                    "closed_on": writer.dates(d["closed_on"]),
                    "expected_close_on": writer.dates(d["expected_close_on"]),
                    "lost_reason": lost_reason,
                    "lost_note": d["lost_note"],
                },
                not_null_text=["external_id", "name", "product", "currency", "stage", "status", "lost_note"],
            )
            n_act = len(act["account"])
            deal_fk = act["deal"] + deal_base
            result.activities += writer.write(
                Activity,
                {
                    "id": activity_base + result.activities + np.arange(n_act),
                    "account": account_base + act["account"],
                    "rep": rep_ids[act["rep"]],
                    "deal": writer.nullable(np.where(act["deal"] < 0, -1, deal_fk)),
                    "kind": act["kind"],
                    "occurred_at": writer.timestamps(act["occurred_at"]),
                    "minutes": act["minutes"],
                    "note": "",
                },
                not_null_text=["kind", "note"],
            )
            if progress is not None:
                progress(result.accounts, spec.accounts)

        targets = gen.targets()
        target_base = _max_id(Target) + 1
        result.targets = writer.write(
            Target,
            {
                "id": target_base + np.arange(len(targets["rep"])),
                "rep": rep_ids[targets["rep"]],
                "period_start": writer.dates(targets["period_start"]),
                "period_end": writer.dates(targets["period_end"]),
                "amount": targets["amount"],
            },
        )
        with connection.cursor() as cursor:
            rebuild_started = time.perf_counter()
            if restore and writer.postgres:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for sql in restore:
                cursor.execute(sql)
            if restore:
                result.rebuild_seconds = time.perf_counter() - rebuild_started
            if writer.postgres:
                for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                    cursor.execute(sql)
        result.logins = _logins(reps, rep_ids, team_names)
    result.seconds = time.perf_counter() - started
    return result
