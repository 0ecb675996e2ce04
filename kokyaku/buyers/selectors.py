"""Reads of the buyers app, in a fixed number of queries, as typed records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Max, Model, Q, QuerySet

from kokyaku.buyers.frames import behaviour_frames, measurement_day
from kokyaku.buyers.labels import SIGNAL_LABELS, TYPE_ORDER, trait_text
from kokyaku.buyers.measure import TimeSplit, time_split
from kokyaku.buyers.models import ChecklistTick, KeyPerson, Objection, TypeDecision, TypeSuggestion
from kokyaku.buyers.services import checklist_score
from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.domain.buyer_types import BUYER_TYPES, TRAITS, key_person_gaps, objection_loss_table, top_objections
from kokyaku.lib.api import MAX_ID
from kokyaku.portfolio.models import Snapshot, SnapshotRow

# -- one account ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraitLine:
    code: str
    buyer_type: str
    text: str
    ticked: bool


@dataclass(frozen=True)
class ReasonLine:
    code: str
    label: str
    feature: str
    value: float
    weight: float


@dataclass(frozen=True)
class Gaps:
    key_persons: int
    decision_makers: int
    too_few: bool
    no_decision_maker: bool
    flagged: bool


@dataclass(frozen=True)
class MapPoint:
    """A key person on the influence × stance map: x 0-2 (opponent → supporter), y 1-5 (influence)."""

    person: KeyPerson
    column: int
    row: int


@dataclass
class AccountBuyers:
    account: Account
    traits: list[TraitLine]
    checklist_type: str
    checklist_confidence: float
    ticks: int
    decision: TypeDecision | None
    decisions: list[TypeDecision]
    suggestion: TypeSuggestion | None
    reasons: list[ReasonLine]
    key_persons: list[KeyPerson]
    gaps: Gaps
    grid: list[list[list[KeyPerson]]] = field(default_factory=list)  # rows influence 5..1, columns opponent..supporter
    objections: list[Objection] = field(default_factory=list)


STANCE_COLUMN = {"opponent": 0, "neutral": 1, "supporter": 2}


def _reason_lines(suggestion: TypeSuggestion | None) -> list[ReasonLine]:
    if suggestion is None:
        return []
    return [
        ReasonLine(r["code"], str(SIGNAL_LABELS.get(r["code"], r["code"])), r["feature"], r["value"], r["weight"])
        for r in suggestion.reasons
    ]


def account_buyers(account_id: int) -> AccountBuyers | None:
    """Everything the account's buyer page shows: six queries."""
    account = Account.objects.select_related("owner", "owner__team").filter(pk=account_id).first()
    if account is None:
        return None
    ticked = set(ChecklistTick.objects.filter(account=account).values_list("trait", flat=True))
    score = checklist_score(ticked)
    decisions = list(TypeDecision.objects.filter(account=account).select_related("set_by")[:10])
    suggestion = TypeSuggestion.objects.filter(account=account).first()
    persons = list(KeyPerson.objects.filter(account=account))
    gaps = key_person_gaps(
        [account.pk], [account.buyer_type],
        pd.DataFrame({"account_id": [account.pk] * len(persons), "role": [p.role for p in persons]}),
    ).iloc[0]  # fmt: skip
    grid: list[list[list[KeyPerson]]] = [[[] for _ in range(3)] for _ in range(5)]
    for p in persons:
        grid[5 - max(1, min(5, p.influence))][STANCE_COLUMN.get(p.stance, 1)].append(p)
    objections = list(Objection.objects.filter(account=account).select_related("rep")[:20])
    return AccountBuyers(
        account=account,
        traits=[TraitLine(t.code, t.buyer_type, trait_text(t), t.code in ticked) for t in TRAITS],
        checklist_type=str(score.buyer_type[0]), checklist_confidence=float(score.confidence[0]), ticks=int(score.ticks[0]),
        decision=decisions[0] if decisions else None, decisions=decisions, suggestion=suggestion,
        reasons=_reason_lines(suggestion), key_persons=persons,
        gaps=Gaps(int(gaps["key_persons"]), int(gaps["decision_makers"]), bool(gaps["too_few"]),
                  bool(gaps["no_decision_maker"]), bool(gaps["flagged"])),
        grid=grid, objections=objections,
    )  # fmt: skip


# -- suggestions to confirm -----------------------------------------------------------------------


def suggestions_to_confirm(*, rep: Rep | None) -> QuerySet[TypeSuggestion]:
    """The open suggestions (new, or changed since last confirmed): of ``rep``'s accounts, or of every account (None)."""
    qs = TypeSuggestion.objects.filter(status=TypeSuggestion.Status.OPEN).select_related("account", "account__owner")
    if rep is not None:
        qs = qs.filter(account__owner=rep)
    return qs.order_by("-score", "account__name")


# -- objections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectionFilter:
    q: str = ""
    buyer_type: str = ""
    tag: str = ""
    product: str = ""
    start: date | None = None
    end: date | None = None


def objection_search(f: ObjectionFilter) -> QuerySet[Objection]:
    """Objections matching every word of ``q`` (in what was said, the answer or the tags) and the filters; newest first.

    Japanese is matched as substrings, so no word splitting is needed: ``icontains`` is
    ``UPPER(col) LIKE UPPER(...)`` on PostgreSQL (served by the pg_trgm GIN indexes on that expression,
    migration 0002, from three characters on), and LIKE on SQLite (the portable fallback).
    """
    qs = Objection.objects.select_related("account", "rep")
    for word in f.q.split():
        qs = qs.filter(Q(said__icontains=word) | Q(answer__icontains=word) | Q(tags__icontains=word))
    if f.buyer_type:
        qs = qs.filter(account__buyer_type=f.buyer_type)
    if f.tag:
        t = f.tag.strip().lower()
        qs = qs.filter(Q(tags=t) | Q(tags__startswith=f"{t},") | Q(tags__endswith=f",{t}") | Q(tags__contains=f",{t},"))
    if f.product:
        qs = qs.filter(product=f.product)
    if f.start:
        qs = qs.filter(date__gte=f.start)
    if f.end:
        qs = qs.filter(date__lte=f.end)
    return qs.order_by("-date", "-id")


def objection_products() -> list[str]:
    return list(Objection.objects.exclude(product="").values_list("product", flat=True).distinct().order_by("product"))


@dataclass(frozen=True)
class TopLine:
    key: str
    objections: int
    accounts: int
    share: float
    answered: float


def quarter_of(day: date) -> tuple[date, date]:
    """The calendar quarter holding ``day``: its first and last day."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    nxt = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def _objection_frame(qs: QuerySet[Objection]) -> pd.DataFrame:
    rows = list(qs.values_list("account_id", "date", "product", "tags", "said", "answer"))
    return pd.DataFrame(rows, columns=["account_id", "date", "product", "tags", "said", "answer"])


def top_objections_of(start: date, end: date, *, by: str = "tag", limit: int = 10) -> list[TopLine]:
    """The period's most frequent objections, by tag or by what the customer said (one query)."""
    frame = _objection_frame(Objection.objects.filter(date__gte=start, date__lte=end))
    if frame.empty:
        return []
    frame["date"] = pd.to_datetime(frame["date"])
    top = top_objections(frame, start=start, end=end, by=by, limit=limit)
    return [
        TopLine(str(k), int(r["objections"]), int(r["accounts"]), float(r["share"]), float(r["answered"]))
        for k, r in top.iterrows()
    ]


@dataclass(frozen=True)
class LossTable:
    tags: list[str]
    reasons: list[str]  # lost-reason codes, then "total"
    cells: list[list[int]]  # one row per tag


def objection_losses() -> LossTable:
    """Which objection tags came before which lost reasons (失注理由), cached for an hour while the data stays.

    It reads every objection and lost deal (3.5 s at 100,000 accounts, docs/benchmarks.md).
    """
    key = f"buyers:losses:{_data_mark(Objection, Deal)}"
    found = cache.get(key)
    if isinstance(found, LossTable):
        return found
    table = _objection_losses()
    cache.set(key, table, MEASURE_SECONDS)
    return table


def _objection_losses() -> LossTable:
    objections = _objection_frame(Objection.objects.all())
    lost = pd.DataFrame(
        list(
            Deal.objects.filter(status=Deal.Status.LOST).values_list(
                "pk", "account_id", "product", "opened_on", "closed_on", "lost_reason__code"
            )
        ),
        columns=["deal_id", "account_id", "product", "opened_on", "closed_on", "lost_reason"],
    )
    if objections.empty or lost.empty:
        return LossTable([], [], [])
    objections["date"] = pd.to_datetime(objections["date"])
    lost["lost_reason"] = lost["lost_reason"].fillna("other")
    for c in ("opened_on", "closed_on"):
        lost[c] = pd.to_datetime(lost[c])
    table = objection_loss_table(objections, lost)
    return LossTable(
        [str(i) for i in table.index], [str(c) for c in table.columns],
        [[int(v) for v in row] for row in table.to_numpy()],
    )  # fmt: skip


# -- the team -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    label: str
    counts: list[int]  # aligned with TYPE_ORDER
    total: int


@dataclass(frozen=True)
class TeamTypes:
    snapshot: Snapshot | None
    by_zone: list[CountRow]  # latest snapshot
    by_rep: list[CountRow]  # accounts today, per owner
    trend: list[CountRow]  # one row per snapshot (label: its as-of date), oldest first
    totals: list[int]
    unowned: int = 0  # accounts without an owner rep: in the totals, in no rep's row


def _rows(pairs: list[tuple[object, str, int]], order: list[object], label: dict[object, str]) -> list[CountRow]:
    table: dict[object, list[int]] = {k: [0] * len(TYPE_ORDER) for k in order}
    for key, t, n in pairs:
        if key in table and t in TYPE_ORDER:
            table[key][TYPE_ORDER.index(t)] += n
    return [CountRow(label[k], v, sum(v)) for k, v in table.items()]


def team_types(*, team_id: int | None = None) -> TeamTypes:
    """Accounts per buyer type: per zone (latest snapshot), per rep (today), and per snapshot (the trend). Five queries."""
    snapshot = Snapshot.objects.order_by("-as_of", "-created_at", "-id").first()
    accounts = Account.objects.all() if team_id is None else Account.objects.filter(owner__team_id=team_id)
    reps = list(Rep.objects.filter(active=True).order_by("name").values_list("pk", "name"))
    per_rep = list(accounts.order_by().values_list("owner_id", "buyer_type").annotate(n=Count("pk")))
    by_rep = [r for r in _rows(per_rep, [p for p, _ in reps], dict(reps)) if r.total]
    by_zone: list[CountRow] = []
    if snapshot is not None:
        rows = SnapshotRow.objects.filter(snapshot=snapshot)
        if team_id is not None:
            rows = rows.filter(owner__team_id=team_id)
        zones = ["A", "B", "C", ""]
        pairs = list(rows.order_by().values_list("zone", "buyer_type").annotate(n=Count("pk")))
        by_zone = _rows(pairs, list(zones), {z: z or "–" for z in zones})
    snaps = list(Snapshot.objects.order_by("as_of", "created_at", "id").values_list("pk", "as_of")[:24])
    trend_rows = SnapshotRow.objects.filter(snapshot_id__in=[s for s, _ in snaps])
    if team_id is not None:
        trend_rows = trend_rows.filter(owner__team_id=team_id)
    trend_pairs = list(trend_rows.order_by().values_list("snapshot_id", "buyer_type").annotate(n=Count("pk")))
    trend = _rows(trend_pairs, [s for s, _ in snaps], {s: a.isoformat() for s, a in snaps})
    # Every account counts in the totals, owned or not (imported accounts often have no owner yet).
    totals = [sum(n for _owner, t, n in per_rep if t == kind) for kind in TYPE_ORDER]
    unowned = sum(n for owner, _t, n in per_rep if owner is None)
    return TeamTypes(snapshot, by_zone, by_rep, trend, totals, unowned)


# -- the measurement ------------------------------------------------------------------------------


MEASURE_SECONDS = 3600


def _data_mark(*tables: type[Model]) -> str:
    """What changes when rows of these tables are added or removed: their counts and last ids (two queries each)."""
    return "-".join(f"{m._default_manager.count()}.{m._default_manager.aggregate(last=Max('pk'))['last']}" for m in tables)


def suggestion_measurement(*, as_of: date | None = None, cutoff_days: int = 365) -> TimeSplit:
    """The suggestion against the simple alternative on a time split (see :mod:`kokyaku.buyers.measure`),
    as of ``as_of`` (default :func:`measurement_day`).

    It reads the whole portfolio (8 s at 100,000 accounts, docs/benchmarks.md), so the result is
    cached for an hour, keyed by the day and by what would change it: the accounts, deals, key
    persons, objections and type decisions (their counts and last ids).
    """
    as_of = as_of or measurement_day()
    key = f"buyers:measure:{as_of}:{cutoff_days}:{_data_mark(Account, Deal, KeyPerson, Objection, TypeDecision)}"
    found = cache.get(key)
    if isinstance(found, TimeSplit):
        return found
    cutoff = as_of - timedelta(days=cutoff_days)
    frames = behaviour_frames()
    recorded = frames.accounts["buyer_type"].to_numpy(dtype=object)
    result = time_split(frames.features(cutoff), frames.features(as_of), recorded, cutoff=cutoff, as_of=as_of)
    cache.set(key, result, MEASURE_SECONDS)
    return result


def agreement_counts() -> dict[str, dict[str, int]]:
    """Stored suggestions against recorded types: {recorded: {suggested: n}} (one query)."""
    out = {t: dict.fromkeys(BUYER_TYPES, 0) for t in TYPE_ORDER}
    for recorded, suggested, n in (
        TypeSuggestion.objects.order_by().values_list("account__buyer_type", "buyer_type").annotate(n=Count("pk"))
    ):
        if recorded in out and suggested in out[recorded]:
            out[recorded][suggested] += n
    return out


def latest_computed() -> datetime | None:
    row = TypeSuggestion.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    return row


# -- single records for the views ------------------------------------------------------------------


def account_deals(account_id: int) -> list[Deal]:
    return list(Deal.objects.filter(account_id=account_id).order_by("-opened_on", "-id")[:100])


def key_person_of(account_id: int, person_id: int) -> KeyPerson | None:
    return KeyPerson.objects.select_related("account").filter(account_id=account_id, pk=person_id).first()


def objection_of(account_id: int, objection_id: int) -> Objection | None:
    return Objection.objects.select_related("account").filter(account_id=account_id, pk=objection_id).first()


def suggestion_of(account_id: int) -> TypeSuggestion | None:
    if not 0 < account_id <= MAX_ID:  # an id from a URL beyond the database's integers (SQLite: OverflowError)
        return None
    return TypeSuggestion.objects.select_related("account").filter(account_id=account_id).first()
