"""One account's page, and a rep's day (the home page): the accounts that need attention now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, Subquery

from kokyaku.crm.models import Account, Activity, Deal
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors.effort import day_bounds
from kokyaku.portfolio.selectors.rows import BY_EXPECTED_VALUE, Row, rows_of


@dataclass(frozen=True)
class AccountOverview:
    """An account with its owner, its row in a snapshot (None when not in it), latest deals and activities."""

    account: Account
    row: Row | None
    deals: list[Deal]
    activities: list[Activity]


def account_overview(
    account_id: int, *, snapshot: Snapshot | None, deals: int = 50, activities: int = 20
) -> AccountOverview | None:
    """Return one account with owner, its row in ``snapshot``, latest deals and activities: four queries.

    None when the account does not exist.
    """
    account = Account.objects.select_related("owner", "owner__team").filter(pk=account_id).first()
    if account is None:
        return None
    rows = rows_of(SnapshotRow.objects.filter(snapshot=snapshot, account_id=account_id), stop=1) if snapshot else []
    deal_rows = list(
        Deal.objects.filter(account_id=account_id).select_related("owner", "lost_reason").order_by("-opened_on", "-id")[:deals]
    )
    activity_rows = list(
        Activity.objects.filter(account_id=account_id).select_related("rep", "deal").order_by("-occurred_at", "-id")[:activities]
    )
    return AccountOverview(account, rows[0] if rows else None, deal_rows, activity_rows)


@dataclass(frozen=True)
class RepFocus:
    """A rep's day: idle zone-A accounts (with their last activity) and near-boundary accounts worth a push."""

    idle: list[Row]
    idle_total: int
    push: list[Row]
    push_total: int
    idle_days: int


def rep_focus(snapshot: Snapshot, *, rep_id: int, today: date, idle_days: int = 30, limit: int = 10) -> RepFocus:
    """Return a rep's day: zone-A accounts with no activity for ``idle_days``, and near-boundary pushes.

    ``idle``: the rep's zone-A accounts without any activity since ``today - idle_days`` (by
    expected value, with the last activity date); ``push``: the rep's near-boundary accounts in
    zone B or C (or unzoned) by expected value, the ones a little effort could lift. Four queries.
    """
    since, _end = day_bounds(today - timedelta(days=idle_days), today)
    recent = Activity.objects.filter(account_id=OuterRef("account_id"), occurred_at__gte=since)
    last = Activity.objects.filter(account_id=OuterRef("account_id")).order_by("-occurred_at").values("occurred_at")[:1]
    mine = SnapshotRow.objects.filter(snapshot=snapshot, owner_id=rep_id)
    idle_qs = mine.filter(zone="A").exclude(Exists(recent))
    push_qs = mine.filter(near_boundary=True).exclude(zone="A")
    return RepFocus(
        idle=rows_of(idle_qs.annotate(last_activity=Subquery(last)).order_by(*BY_EXPECTED_VALUE), "last_activity", stop=limit),
        idle_total=idle_qs.count(),
        push=rows_of(push_qs.order_by(*BY_EXPECTED_VALUE), stop=limit),
        push_total=push_qs.count(),
        idle_days=idle_days,
    )


@dataclass(frozen=True)
class AddedAccount:
    """An account created after a snapshot was computed (by an import, the API or the admin)."""

    id: int
    name: str
    external_id: str
    owner: str | None


@dataclass(frozen=True)
class AddedAccounts:
    count: int
    first: list[AddedAccount]  # the newest ``limit`` of them


def accounts_added_since(
    snapshot: Snapshot, *, owner_id: int | None = None, search: str | None = None, limit: int = 20
) -> AddedAccounts:
    """The accounts created after ``snapshot`` (so not in its rows), for the accounts tables to list them
    at once: a new account is findable before the next snapshot places it. Two queries."""
    in_snapshot = SnapshotRow.objects.filter(snapshot=snapshot, account_id=OuterRef("pk"))
    qs = Account.objects.filter(created_at__gte=snapshot.created_at).filter(~Exists(in_snapshot))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(external_id__icontains=search))
    count = qs.count()
    if not count:
        return AddedAccounts(0, [])
    rows = qs.order_by("-created_at", "-id").values_list("id", "name", "external_id", "owner__name")[:limit]
    return AddedAccounts(count, [AddedAccount(pk, name, external_id, owner) for pk, name, external_id, owner in rows])
