"""Load the synthetic demo portfolio into the database, in bulk and in one transaction.

Each chunk is written by :mod:`kokyaku.lib.bulk` (``COPY ... FROM STDIN`` on PostgreSQL,
``executemany`` on SQLite); a big load into smaller tables sets the account, deal and activity
tables' indexes and constraints aside until the end (``bulk.set_aside``). Primary keys are
explicit (after the current maximum) so that deals and activities can refer to rows written in
the same chunk without reading them back; PostgreSQL's sequences are reset afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from kokyaku.buyers.models import KeyPerson, Objection, Product
from kokyaku.crm.models import Account, Activity, CompanySettings, Deal, LostReason, Rep, Target, Team
from kokyaku.crm.services import login_create
from kokyaku.demo.generator import Array, DemoGenerator, DemoSpec
from kokyaku.domain.errors import DomainError
from kokyaku.lib import bulk
from kokyaku.lib.refusals import domain_text
from kokyaku.users.roles import Role, is_manager

DEMO_PASSWORD = "kokyaku-demo"  # noqa: S105 - the published password of the demo logins, not a secret
# From this many accounts on, a load sets the indexes and constraints of the account, deal and activity
# tables aside and puts them back at the end (bulk.set_aside / bulk.restore).
BULK_INDEX_THRESHOLD = 50_000

ProgressCallback = Callable[[int, int], None]


class DemoError(Exception):
    """A user-facing reason the demo cannot be loaded."""


class DemoDatabaseNotEmpty(DemoError):
    """The database already holds accounts and ``force`` was not given."""

    def __init__(self, accounts: int) -> None:
        self.accounts = accounts
        self.what = ngettext(
            "the database already holds %(count)s account", "the database already holds %(count)s accounts", accounts
        ) % {"count": f"{accounts:,}"}
        super().__init__(gettext("%(what)s; pass --force to add the demo anyway") % {"what": self.what})


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
    key_persons: int = 0
    objections: int = 0
    seconds: float = 0.0
    rebuild_seconds: float = 0.0  # bulk loads: restoring indexes (and PostgreSQL's foreign keys); part of seconds
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return (
            self.teams + self.reps + self.accounts + self.deals + self.activities + self.targets
            + self.key_persons + self.objections
        )  # fmt: skip


def _write(model: type[models.Model], data: dict[str, Any]) -> int:
    """Write ``data`` (field name -> array, or a scalar for every row) into ``model``'s table; return the row count."""
    n = max(len(v) for v in data.values() if isinstance(v, np.ndarray | list))
    if n == 0:
        return 0
    frame = pd.DataFrame({name: (v if isinstance(v, np.ndarray | list) else [v] * n) for name, v in data.items()})
    frame.columns = [column for column, _kind in bulk.model_columns(model, data)]
    return bulk.write(model._meta.db_table, bulk.model_columns(model, data), frame)


def _nullable(values: Array, missing: int = -1) -> Array:
    """Whole numbers with ``missing`` marking none: as floats, NaN (NULL) for the missing ones."""
    return np.where(values == missing, np.nan, values.astype(np.float64))


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


def _products(catalogue: dict[str, Array]) -> None:
    """Add the demo's product catalogue (launch dates, services); products already there are left alone."""
    taken = set(Product.objects.values_list("name", flat=True))
    Product.objects.bulk_create(
        [
            Product(name=str(name), launched_on=pd.Timestamp(day).date(), service=bool(service))
            for name, day, service in zip(catalogue["name"], catalogue["launched_on"], catalogue["service"], strict=True)
            if name not in taken
        ]
    )


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
    actor: User | None,
    accounts: int = 2000,
    seed: int = 0,
    as_of: date | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    chunk_size: int = 20_000,
    rep_count: int | None = None,
    locale: str = "en",
) -> DemoResult:
    """Fill the database with a seeded demo portfolio and demo logins; all or nothing.

    ``rep_count``: how many reps (default: the generator's, one per 67 accounts); benchmarks set it.
    ``locale`` is the language of the names and stages it writes ("ja" or "en"; the same portfolio
    either way); ``kokyaku demo`` passes "ja" unless told ``--locale en``.

    ``actor`` is who asks: a manager or admin, or None for the command line. Refuses a database
    that already holds accounts unless ``force`` (then the demo is added beside them, with its own
    ids). ``progress(done, total)`` is called after each chunk of accounts.
    """
    if actor is not None and not is_manager(actor):
        raise PermissionDenied(gettext("Only managers can load the demo."))
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
                reps=rep_count,
                locale=locale,
            )
        except DomainError as exc:
            raise DemoError(domain_text(exc)) from None
        gen = DemoGenerator(spec)
        result = DemoResult()
        tables: list[type[models.Model]] = [Team, Rep, Account, Deal, Activity, Target, KeyPerson, Objection]
        postgres = connection.vendor == "postgresql"
        if postgres:
            with connection.cursor() as cursor:
                # Explicit ids need the tables to ourselves; and foreign keys are checked at the end of
                # each COPY rather than queued for the commit (the queue would grow with the portfolio).
                names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
                cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        rebuilds: list[bulk.Rebuild] = []
        if accounts >= BULK_INDEX_THRESHOLD and accounts > existing:
            rebuilds = bulk.set_aside(m._meta.db_table for m in (Account, Deal, Activity))

        team_names = _unique_team_names(gen.teams())
        Team.objects.bulk_create([Team(name=n) for n in team_names])
        team_ids = dict(Team.objects.filter(name__in=team_names).values_list("name", "pk"))
        team_pk = np.array([team_ids[n] for n in team_names])
        result.teams = len(team_names)

        reps = gen.reps()
        rep_ids = _max_id(Rep) + 1 + reps["index"]
        result.reps = _write(
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
        )

        account_base, deal_base, activity_base = _max_id(Account) + 1, _max_id(Deal) + 1, _max_id(Activity) + 1
        person_base, objection_base = _max_id(KeyPerson) + 1, _max_id(Objection) + 1
        _products(gen.products())
        reasons = _lost_reason_ids(["price", "features", "competitor", "timing", "no_need", "rejected", "relationship", "other"])
        now = np.datetime64(timezone.now().replace(tzinfo=None), "s")  # UTC (USE_TZ), to the second
        for chunk in gen.chunks():
            a, d, act = chunk.accounts, chunk.deals, chunk.activities
            account_ids = account_base + a["index"]
            result.accounts += _write(
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
            )
            deal_ids = deal_base + d["index"]
            lost_reason = np.array([reasons.get(c) if c else None for c in d["lost_reason"]], dtype=object)
            result.deals += _write(
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
                    "probability": _nullable(d["probability"]),
                    "opened_on": d["opened_on"],
                    "closed_on": d["closed_on"],
                    "expected_close_on": d["expected_close_on"],
                    "lost_reason": lost_reason,
                    "lost_note": d["lost_note"],
                },
            )
            n_act = len(act["account"])
            deal_fk = act["deal"] + deal_base
            result.activities += _write(
                Activity,
                {
                    "id": activity_base + result.activities + np.arange(n_act),
                    "account": account_base + act["account"],
                    "rep": rep_ids[act["rep"]],
                    "deal": _nullable(np.where(act["deal"] < 0, -1, deal_fk)),
                    "kind": act["kind"],
                    "occurred_at": act["occurred_at"],
                    "minutes": act["minutes"],
                    "note": "",
                },
            )
            kp, ob = chunk.key_persons, chunk.objections
            n_kp = len(kp["account"])
            result.key_persons += _write(
                KeyPerson,
                {
                    "id": person_base + result.key_persons + np.arange(n_kp),
                    "account": account_base + kp["account"],
                    "external_id": None,
                    "name": kp["name"],
                    "department": kp["department"],
                    "title": kp["title"],
                    "role": kp["role"],
                    "benefit": kp["benefit"],
                    "influence": kp["influence"],
                    "stance": kp["stance"],
                    "last_contact": kp["last_contact"],
                    "notes": "",
                    "created_at": now,
                    "updated_at": now,
                },
            )
            n_ob = len(ob["account"])
            result.objections += _write(
                Objection,
                {
                    "id": objection_base + result.objections + np.arange(n_ob),
                    "account": account_base + ob["account"],
                    "rep": rep_ids[ob["rep"]],
                    "deal": deal_base + ob["deal"],
                    "date": ob["date"],
                    "product": ob["product"],
                    "tags": ob["tags"],
                    "said": ob["said"],
                    "answer": ob["answer"],
                    "from_lost_note": False,
                    "created_at": now,
                },
            )
            if progress is not None:
                progress(result.accounts, spec.accounts)

        targets = gen.targets()
        target_base = _max_id(Target) + 1
        result.targets = _write(
            Target,
            {
                "id": target_base + np.arange(len(targets["rep"])),
                "rep": rep_ids[targets["rep"]],
                "period_start": targets["period_start"],
                "period_end": targets["period_end"],
                "amount": targets["amount"],
            },
        )
        if rebuilds:
            rebuild_started = time.perf_counter()
            bulk.restore(rebuilds)
            result.rebuild_seconds = time.perf_counter() - rebuild_started
        if postgres:
            for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                bulk.execute(sql)
        result.logins = _logins(reps, rep_ids, team_names)
    result.seconds = time.perf_counter() - started
    return result
