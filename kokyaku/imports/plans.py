"""Plans: what each kind of import stages, and how its references resolve (one class per kind)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from django.db import connection, models
from django.utils import timezone

from kokyaku.buyers.models import KeyPerson
from kokyaku.crm.models import Account, Activity, CompanySettings, Deal, LostReason, Rep, Team
from kokyaku.imports.errors import ImportFileError, Message, Problem, gettext_noop
from kokyaku.imports.japanese import name_key
from kokyaku.imports.mapping import Mapping
from kokyaku.imports.refs import AMBIGUOUS, NOT_FOUND, RefMap, insert_returning, merged_ids
from kokyaku.imports.summary import ImportSummary
from kokyaku.imports.validate import Columns
from kokyaku.lib.bulk import Kind


@dataclass
class Prepared:
    frame: pd.DataFrame  # staging columns, indexed by source row
    problems: list[Problem]
    bad: pd.Index


class Plan:
    kind: str
    target: type[models.Model]
    stage_columns: list[tuple[str, Kind]]  # (db column, how it is written)
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
        self._merged: dict[str, str] | None = None  # merged record's external id -> kept record's (own rows)
        self.merged_met: dict[str, str] = {}  # those this import's own rows named (reported)

    @property
    def update_columns(self) -> list[str]:
        """Columns an existing row gets from the file: those of the mapped fields, never the others."""
        cols = [col for f, col in self.field_columns.items() if f in self.covered and col != "external_id"]
        return list(dict.fromkeys(cols))

    def update_values(self) -> dict[str, str]:
        """What each updated column gets: an SQL expression over ``{s}`` (the staged row) and ``{t}`` (the stored one)."""
        return {c: f"{{s}}.{c}" for c in self.update_columns}

    def own_ids(self, data: pd.DataFrame) -> pd.Series:
        """The rows' own external ids, where a row names a record merged into another, the kept record's
        (an accounts or reps import then updates the kept record rather than creating the merged one again)."""
        ids = data["external_id"]
        if self._merged is None:
            self._merged = {alias: key for alias, (_pk, key) in merged_ids(self.target).items() if key}
        if not self._merged:
            return ids
        mapped = ids.map(self._merged)
        hit = mapped.notna().to_numpy()
        if not hit.any():
            return ids
        for alias in pd.unique(ids[hit].to_numpy()).tolist():
            self.merged_met[alias] = self._merged[alias]
        return ids.where(~hit, mapped)

    def label(self, name: str) -> str:
        return self.columns.label(name)

    def prepare(self, data: pd.DataFrame) -> Prepared:
        raise NotImplementedError

    def ref_maps(self) -> dict[str, RefMap]:
        """The reference maps that match names by their name key, by what they name (for the notes)."""
        found = {"account": getattr(self, "accounts", None), "rep": getattr(self, "reps", None)}
        return {what: refs for what, refs in found.items() if isinstance(refs, RefMap)}

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
                wanted = _one_per_name(pd.Series(refs_col[missing & ~bad]).drop_duplicates().tolist())
                self.before_write()  # a chunk may still be on its way to the staging table
                create(wanted, data[missing & ~bad])
                ids, missing, _amb = refs.lookup(refs_col)
                missing &= ~ambiguous
            unknown = Message(NOT_FOUND[what])
            for row, value in zip(refs_col.index[missing.to_numpy()], refs_col[missing], strict=True):
                problems.append(Problem(self.file, int(row), self.label(name), str(value), unknown))
            bad |= missing
        return ids

    def accounts_creator(self, accounts: RefMap, owners: pd.Series | None = None) -> Callable[[list[str], pd.DataFrame], None]:
        """Create the accounts a file refers to; with ``owners`` (the rows' resolved rep pks), a new
        account takes the owner of its first deal in the file, so it is nobody's no longer."""

        def create(refs: list[str], rows: pd.DataFrame) -> None:
            first = rows.drop_duplicates(subset="account", keep="first")
            keys = first["account"].tolist()
            names = dict(zip(keys, first["account_name"].tolist(), strict=True)) if "account_name" in first else {}
            regions = dict(zip(keys, first["account_region"].tolist(), strict=True)) if "account_region" in first else {}
            owned = {}
            if owners is not None:
                with_owner = rows[owners.reindex(rows.index).notna().to_numpy()].drop_duplicates(subset="account", keep="first")
                owned = dict(
                    zip(with_owner["account"].tolist(), owners.reindex(with_owner.index).astype(int).tolist(), strict=True)
                )
            stamp = connection.ops.adapt_datetimefield_value(timezone.now())
            values = [
                (ref, (str(names.get(ref) or "") or ref)[:300], str(regions.get(ref) or "")[:100], "", "unknown", stamp, stamp,
                 owned.get(ref))
                for ref in refs
            ]  # fmt: skip
            columns = ["external_id", "name", "region", "industry", "buyer_type", "created_at", "updated_at", "owner_id"]
            for key, pk, name in insert_returning(Account, columns, values):
                accounts.add(key, pk, name)
            self.summary.accounts_created += len(values)

        return create

    def reps_creator(self, reps: RefMap) -> Callable[[list[str], pd.DataFrame], None]:
        def create(refs: list[str], rows: pd.DataFrame) -> None:
            values = [(ref, ref[:200], "", "developing", 80, True) for ref in refs]
            columns = ["external_id", "name", "email", "tier", "capacity", "active"]
            for key, pk, name in insert_returning(Rep, columns, values):
                reps.add(key, pk, name)
            self.summary.reps_created += len(values)

        return create


def _one_per_name(refs: list[str]) -> list[str]:
    """The first of each group of references that share a name key: one record is created for
    株式会社ABC商事 and (株)ABC商事 alike; the others then find it (and are reported)."""
    seen: set[str] = set()
    out = []
    for ref in refs:
        key = name_key(ref) or ref
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out


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
            "external_id": self.own_ids(data),
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
            "external_id": self.own_ids(data),
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
        owner = (
            self.resolve(data, "owner", self.reps, problems, bad, create=self.reps_creator(self.reps), what="rep")
            if self.reps
            else self.column(data, "owner")
        )
        account = self.resolve(
            data, "account", self.accounts, problems, bad,
            create=self.accounts_creator(self.accounts, owner if self.reps else None), what="account",
        )  # fmt: skip
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
    line_columns: list[tuple[str, Kind]] = [
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


class ContactsPlan(Plan):
    """CRM contacts as the key persons (キーマン) of existing accounts, upserted on their external id."""

    kind = "contacts"
    target = KeyPerson
    timestamps = True
    stage_columns = [
        ("external_id", "text"), ("account_id", "id"), ("name", "text"), ("department", "text"), ("title", "text"),
        ("role", "text"), ("benefit", "text"), ("influence", "int"), ("stance", "text"), ("last_contact", "date"),
        ("notes", "text"),
    ]  # fmt: skip
    field_columns = {
        "external_id": "external_id", "account": "account_id", "name": "name", "department": "department",
        "title": "title", "role": "role", "benefit": "benefit", "influence": "influence", "stance": "stance",
        "last_contact": "last_contact", "notes": "notes",
    }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = RefMap(Account)

    def prepare(self, data: pd.DataFrame) -> Prepared:
        problems: list[Problem] = []
        bad = pd.Series(False, index=data.index)
        account = self.resolve(data, "account", self.accounts, problems, bad, what="account")
        influence = self.column(data, "influence")
        frame = {
            "external_id": data["external_id"],
            "account_id": account,
            "name": data["name"],
            "department": self.text(data, "department"),
            "title": self.text(data, "title"),
            "role": self.text(data, "role").replace("", "other"),
            "benefit": self.text(data, "benefit"),
            "influence": influence.where(pd.notna(influence), 3) if "influence" in data else pd.Series(3, index=data.index),
            "stance": self.text(data, "stance").replace("", "neutral"),
            "last_contact": self.column(data, "last_contact"),
            "notes": self.text(data, "notes"),
        }
        return _finish(frame, data.index, bad, problems)


PLANS: dict[str, type[Plan]] = {
    "accounts": AccountsPlan,
    "reps": RepsPlan,
    "deals": DealsPlan,
    "activities": ActivitiesPlan,
    "purchases": PurchasesPlan,
    "contacts": ContactsPlan,
}
