"""Reads of the assignment app, each in a fixed number of queries, returning typed records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet

from kokyaku.assignment.labels import STATUS_LABELS, TERM_LABELS, infeasible_message, move_reason
from kokyaku.assignment.models import AccountPin, AccountRelease, Handover, Plan, PlanMove, PolicyVersion
from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.domain.assignment import AssignmentPolicy

MOVES_SHOWN = 500


def policy_current() -> PolicyVersion | None:
    """The newest policy version, or None before the first is saved (plans then use the default policy)."""
    return PolicyVersion.objects.order_by("-created_at", "-id").first()


def policy_history(*, limit: int = 20) -> list[PolicyVersion]:
    return list(PolicyVersion.objects.select_related("created_by").order_by("-created_at", "-id")[:limit])


def policy_in_force() -> AssignmentPolicy:
    current = policy_current()
    return current.to_policy() if current is not None else AssignmentPolicy()


@dataclass(frozen=True)
class RepSetting:
    """A rep as the policy page edits it."""

    id: int
    name: str
    team: str
    tier: str
    capacity: int
    active: bool
    value_capacity: float | None
    accounts: int


def rep_settings() -> list[RepSetting]:
    """Every rep with their tier, capacities and current load (two queries)."""
    current = policy_current()
    caps = current.value_capacities if current is not None else {}
    reps = Rep.objects.annotate(n=Count("accounts")).values("id", "name", "team__name", "tier", "capacity", "active", "n")
    return [
        RepSetting(
            id=r["id"],
            name=r["name"],
            team=r["team__name"] or "",
            tier=r["tier"],
            capacity=r["capacity"],
            active=r["active"],
            value_capacity=caps.get(str(r["id"])),
            accounts=r["n"],
        )
        for r in reps.order_by("team__name", "name")
    ]


@dataclass(frozen=True)
class PlanRow:
    id: int
    status: str
    status_label: str
    created_at: datetime
    created_by: str
    moves: int
    policy_fit: float | None
    applied_at: datetime | None


def plans_recent(*, limit: int = 20) -> list[PlanRow]:
    rows = Plan.objects.values("id", "status", "created_at", "created_by__username", "move_count", "policy_fit", "applied_at")
    return [
        PlanRow(
            id=r["id"],
            status=r["status"],
            status_label=str(STATUS_LABELS[r["status"]]),
            created_at=r["created_at"],
            created_by=r["created_by__username"] or "",
            moves=r["move_count"],
            policy_fit=r["policy_fit"],
            applied_at=r["applied_at"],
        )
        for r in rows.order_by("-created_at", "-id")[:limit]
    ]


@dataclass(frozen=True)
class RepLoad:
    """One rep before and after the plan, as it stands with the moves excluded so far."""

    id: int
    name: str
    tier: str
    capacity: int
    before: int
    after: int
    value_before: float
    value_after: float
    moved_in: int
    moved_out: int
    over_capacity: bool


@dataclass(frozen=True)
class MoveRow:
    id: int
    account_id: int
    account: str
    from_rep: str
    to_rep: str
    to_rep_id: int | None
    reason: str
    reason_label: str
    excluded: bool


@dataclass(frozen=True)
class Baseline:
    name: str
    policy_fit: float | None
    moves: int | None


@dataclass(frozen=True)
class PlanReview:
    plan: Plan
    status_label: str
    infeasible: str
    baselines: list[Baseline]
    reps: list[RepLoad]
    moves: list[MoveRow]
    moves_total: int
    excluded: int
    rep_filter: int | None
    open_deals: int  # open deals of the accounts the moves not excluded take: they move with them


def plan_review(plan: Plan, *, rep_id: int | None = None, limit: int = MOVES_SHOWN) -> PlanReview:
    """A plan as the review page shows it (seven queries): loads per rep with exclusions, the moves (to ``rep_id``),
    the open deals that move with the accounts."""
    excluded_in = dict(
        PlanMove.objects.filter(plan=plan, excluded=True)
        .values("to_rep_id")
        .annotate(n=Count("id"))
        .values_list("to_rep_id", "n")
    )
    excluded_out = dict(
        PlanMove.objects.filter(plan=plan, excluded=True)
        .values("from_rep_id")
        .annotate(n=Count("id"))
        .values_list("from_rep_id", "n")
    )
    names = dict(Rep.objects.values_list("id", "name"))
    reps = []
    for r in plan.reps:
        rid = int(r["rep_id"])
        ex_in, ex_out = excluded_in.get(rid, 0), excluded_out.get(rid, 0)
        after = int(r["accounts_after"]) - ex_in + ex_out
        if r["accounts_before"] == 0 and after == 0 and not r["active"]:
            continue
        reps.append(
            RepLoad(
                id=rid,
                name=names.get(rid, str(rid)),
                tier=r["tier"],
                capacity=int(r["capacity"]),
                before=int(r["accounts_before"]),
                after=after,
                value_before=float(r["value_before"]),
                value_after=float(r["value_after"]),
                moved_in=int(r["moved_in"]) - ex_in,
                moved_out=int(r["moved_out"]) - ex_out,
                over_capacity=after > int(r["capacity"]) and r["active"],
            )
        )
    moves = PlanMove.objects.filter(plan=plan)
    if rep_id is not None:
        moves = moves.filter(Q(to_rep_id=rep_id) | Q(from_rep_id=rep_id))
    rows = moves.order_by("to_rep_id", "id").values(
        "id", "account_id", "reason", "excluded", "from_rep_id", "to_rep_id", account_name=F("account__name")
    )[:limit]
    values = list(rows)
    move_rows = [
        MoveRow(
            id=v["id"],
            account_id=v["account_id"],
            account=v["account_name"] or str(v["account_id"]),
            from_rep=names.get(v["from_rep_id"] or -1, "—"),
            to_rep=names.get(v["to_rep_id"] or -1, "—"),
            to_rep_id=v["to_rep_id"],
            reason=v["reason"],
            reason_label=move_reason(v["reason"]),
            excluded=v["excluded"],
        )
        for v in values
    ]
    return PlanReview(
        plan=plan,
        status_label=str(STATUS_LABELS[plan.status]),
        infeasible=infeasible_message(plan.reason),
        baselines=[Baseline(name, b.get("policy_fit"), b.get("moves")) for name, b in sorted(plan.baselines.items())],
        reps=sorted(reps, key=lambda r: (r.tier, r.name)),
        moves=move_rows,
        moves_total=moves.count(),
        excluded=sum(excluded_in.values()),
        rep_filter=rep_id,
        open_deals=Deal.objects.filter(
            status=Deal.Status.OPEN, account_id__in=PlanMove.objects.filter(plan=plan, excluded=False).values("account_id")
        ).count(),
    )


@dataclass(frozen=True)
class HandoverRow:
    id: int
    account_id: int
    account: str
    from_rep: str
    reason: str
    changed_at: datetime


def handovers_open(rep: Rep | None, *, limit: int = 20) -> list[HandoverRow]:
    """The accounts a rep received from an applied plan and has not yet taken on, with why."""
    if rep is None:
        return []
    rows = (
        Handover.objects.filter(rep=rep, done_at__isnull=True)
        .order_by("-id")
        .values("id", "account_id", account_name=F("account__name"), from_name=F("change__from_rep__name"),
                reason=F("change__reason"), changed_at=F("change__changed_at"))[:limit]
    )  # fmt: skip
    return [
        HandoverRow(
            id=r["id"],
            account_id=r["account_id"],
            account=r["account_name"],
            from_rep=r["from_name"] or "—",
            reason=move_reason(r["reason"]),
            changed_at=r["changed_at"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class AccountAssignment:
    """One account's assignment state: owner, pin, open release."""

    account: Account
    owner_tier: str
    pinned: bool
    pin_note: str
    release: AccountRelease | None


def account_assignment(account_id: int) -> AccountAssignment | None:
    account = Account.objects.select_related("owner").filter(pk=account_id).first()
    if account is None:
        return None
    pin = AccountPin.objects.filter(account_id=account_id).first()
    release = AccountRelease.objects.filter(account_id=account_id, withdrawn_at__isnull=True, resolved_at__isnull=True).first()
    return AccountAssignment(
        account=account, owner_tier=account.owner.tier if account.owner else "", pinned=pin is not None,
        pin_note=pin.note if pin else "", release=release,
    )  # fmt: skip


def releases_open() -> QuerySet[AccountRelease]:
    """Open releases, newest first, with account and rep (for the list page and the API)."""
    return AccountRelease.objects.filter(withdrawn_at__isnull=True, resolved_at__isnull=True).select_related("account", "rep")


def term_label(term: str) -> str:
    return str(TERM_LABELS.get(term, term))
