"""Reads of the follow-up queue, the stale deals and the dormant list: typed records, a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kokyaku.crm.models import AccountChurn, Activity, Deal, Rep
from kokyaku.domain.followups import STALE_LEVELS, stale_deals
from kokyaku.followups.models import FollowUp, Reactivation
from kokyaku.portfolio.models import Snapshot, SnapshotRow

DUE_SOON_DAYS = 7  # a rep's home lists what is overdue or due within a week


@dataclass(frozen=True)
class FollowUpItem:
    """One follow-up with its account and assignee, as pages, the API and the command line show it."""

    id: int
    account_id: int
    account_name: str
    assignee_id: int | None
    assignee: str | None
    reason: str
    rule: str
    due_on: date
    status: str
    outcome: str
    note: str
    created_at: datetime
    closed_at: datetime | None
    reactivated_on: date | None
    overdue: bool


_ITEM_PATHS = (
    "id", "account_id", "account__name", "assignee_id", "assignee__name", "reason", "rule", "due_on", "status", "outcome",
    "note", "created_at", "closed_at", "reactivated_on",
)  # fmt: skip


def followup_list(
    *, assignee_id: int | None = None, status: str | None = FollowUp.Status.OPEN, rep_name: str | None = None
) -> QuerySet[FollowUp]:
    """The follow-ups (open by default; ``status`` None: all), soonest due first, for lists that page."""
    qs = FollowUp.objects.all()
    if status:
        qs = qs.filter(status=status)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if rep_name:
        qs = qs.filter(assignee__name__icontains=rep_name)
    return qs.order_by("due_on", "id")


def followup_items(qs: QuerySet[FollowUp], *, today: date, limit: int | None = None, offset: int = 0) -> list[FollowUpItem]:
    """The follow-ups of ``qs`` as records (one query), at most ``limit`` from ``offset``."""
    rows = qs.values_list(*_ITEM_PATHS)
    out = []
    for row in rows[offset : offset + limit] if limit else rows[offset:]:
        (pk, account_id, name, assignee_id, assignee, reason, rule, due_on, status, outcome, note, created, closed, again) = row
        overdue = status == FollowUp.Status.OPEN and due_on < today
        out.append(
            FollowUpItem(
                pk,
                account_id,
                name,
                assignee_id,
                assignee,
                reason,
                rule,
                due_on,
                status,
                outcome,
                note,
                created,
                closed,
                again,
                overdue,
            )
        )
    return out


@dataclass(frozen=True)
class DueFollowUps:
    items: list[FollowUpItem]  # overdue or due within DUE_SOON_DAYS, soonest first
    total_open: int
    overdue: int


def followups_due(*, assignee_id: int, today: date, limit: int = 10) -> DueFollowUps:
    """A rep's follow-ups due soon (overdue, or due within a week) and their open and overdue counts: two queries."""
    mine = FollowUp.objects.filter(assignee_id=assignee_id, status=FollowUp.Status.OPEN)
    counts = mine.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    soon = mine.filter(due_on__lte=today + timedelta(days=DUE_SOON_DAYS)).order_by("due_on", "id")
    return DueFollowUps(followup_items(soon, today=today, limit=limit), counts["total"], counts["overdue"])


@dataclass(frozen=True)
class RepQueue:
    """One rep's line in the manager's queue (rep None: the unassigned tasks)."""

    rep_id: int | None
    rep: str | None
    tier: str | None
    open: int
    overdue: int
    done: int  # closed by the rep (outcome other than a reactivation)
    reactivated: int  # closed because the account bought again
    cancelled: int


def queue_by_rep(*, today: date, limit: int | None = None) -> list[RepQueue]:
    """Every assignee's follow-ups: open, overdue, done, reactivated, cancelled; one query, by name.

    ``limit``: only that many assignees, the most overdue (then open) first (the manager's home:
    not one line per rep of a 15,000-rep organisation). Two queries then: the open follow-ups
    alone pick the assignees (the partial index ``followup_open_assignee_due``, not every
    follow-up ever closed), then those few are counted in full (every assignee, as without a
    limit, when fewer than ``limit`` have anything open).
    """
    rows = _queue_rows(FollowUp.objects.all(), today).order_by(F("assignee__name").asc(nulls_last=True), "assignee_id")
    if limit is not None:
        order = ("-overdue", "-open", F("assignee__name").asc(nulls_last=True), "assignee_id")
        picked = _most_overdue(today, limit)
        if len(picked) == limit:
            ids = [i for i in picked if i is not None]
            who = Q(assignee_id__in=ids) | Q(assignee__isnull=True) if None in picked else Q(assignee_id__in=ids)
            rows = _queue_rows(FollowUp.objects.filter(who), today)
        rows = rows.order_by(*order)[:limit]
    return [
        RepQueue(
            r["assignee_id"],
            r["assignee__name"],
            r["assignee__tier"],
            r["open"],
            r["overdue"],
            r["done"],
            r["reactivated"],
            r["cancelled"],
        )
        for r in rows
    ]


def _most_overdue(today: date, limit: int) -> list[int | None]:
    """The ``limit`` assignees (None: unassigned) with the most overdue, then open, follow-ups, by name: one query.

    The open follow-ups are counted per assignee from the partial index alone before the reps are
    joined for their names (joining first sorted 117,000 rows by name at a million accounts).
    """
    followups, reps = FollowUp._meta.db_table, Rep._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.assignee_id FROM (SELECT assignee_id, COUNT(*) AS n_open, COUNT(*) FILTER (WHERE due_on < %s) AS n_overdue"  # noqa: S608 (table names)
            f" FROM {followups} WHERE status = %s GROUP BY assignee_id) a LEFT JOIN {reps} r ON r.id = a.assignee_id"
            " ORDER BY a.n_overdue DESC, a.n_open DESC, r.name ASC NULLS LAST, a.assignee_id ASC LIMIT %s",
            [today, FollowUp.Status.OPEN, limit],
        )
        return [None if r[0] is None else int(r[0]) for r in cursor.fetchall()]


def _queue_rows(followups: QuerySet[FollowUp], today: date) -> QuerySet[FollowUp, dict[str, Any]]:
    """The queue's counts per assignee of ``followups`` (unordered)."""
    return followups.values("assignee_id", "assignee__name", "assignee__tier").annotate(
        open=Count("id", filter=Q(status=FollowUp.Status.OPEN)),
        overdue=Count("id", filter=Q(status=FollowUp.Status.OPEN, due_on__lt=today)),
        done=Count("id", filter=Q(status=FollowUp.Status.DONE) & ~Q(outcome=FollowUp.Outcome.REACTIVATED)),
        reactivated=Count("id", filter=Q(outcome=FollowUp.Outcome.REACTIVATED)),
        cancelled=Count("id", filter=Q(status=FollowUp.Status.CANCELLED)),
    )


@dataclass(frozen=True)
class MonthCount:
    month: date
    reactivated: int  # dormant at the snapshot before, bought since
    at_risk_bought: int  # at risk then, bought since


def reactivations_by_month(*, months: int = 12) -> list[MonthCount]:
    """Reactivations per calendar month of the first purchase again, the latest ``months``: one query."""
    rows = (
        Reactivation.objects.annotate(month=TruncMonth("reactivated_on"))
        .values("month")
        .annotate(dormant=Count("id", filter=Q(previous="dormant")), at_risk=Count("id", filter=Q(previous="at_risk")))
        .order_by("-month")[:months]
    )
    return [MonthCount(r["month"], r["dormant"], r["at_risk"]) for r in reversed(list(rows))]


@dataclass(frozen=True)
class StaleDeal:
    """An open deal with no activity for at least 7 days: its level (7 / 30 / 90) is its colour."""

    deal_id: int
    name: str
    account_id: int
    account_name: str
    owner_id: int | None
    owner: str | None
    amount: Decimal | None
    currency: str
    opened_on: date
    last_activity_on: date
    idle_days: int
    level: int


@dataclass(frozen=True)
class StaleDeals:
    rows: list[StaleDeal]  # the stalest first, at most the limit
    counts: dict[int, int]  # deals per level (7, 30, 90)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _local_day(stamp: datetime | None) -> date | None:
    return None if stamp is None else timezone.localtime(stamp).date()


def stale_deal_list(
    *, today: date, owner_id: int | None = None, min_level: int = STALE_LEVELS[0], limit: int = 200
) -> StaleDeals:
    """Open deals idle for ``min_level`` days or more (their own activities and their account's), stalest first.

    Two queries: each open deal with its latest activity, and the latest activity without a deal of
    the accounts with an open deal (grouped, no subquery per deal); the idle days and levels are the
    domain core's (:func:`stale_deals`).
    """
    qs = Deal.objects.filter(status=Deal.Status.OPEN)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    rows = list(
        qs.annotate(own_touch=Max("activities__occurred_at")).values_list(
            "id", "name", "external_id", "account_id", "account__name", "owner_id", "owner__name", "amount", "currency",
            "opened_on", "own_touch",
        )
    )  # fmt: skip
    if not rows:
        return StaleDeals([], dict.fromkeys(STALE_LEVELS, 0))
    # The accounts' latest activity without a deal: one grouped read over the accounts with an open
    # deal (a semi-join), not a subquery per deal (tests/portfolio/test_page_plans.py checks the plan).
    account_touch = dict(
        Activity.objects.filter(deal__isnull=True, account_id__in=qs.values("account_id"))
        .values("account_id")
        .annotate(last=Max("occurred_at"))
        .values_list("account_id", "last")
    )
    deals = pd.DataFrame(
        {
            "deal_id": [r[0] for r in rows],
            "account_id": [r[3] for r in rows],
            "opened_on": pd.to_datetime([r[9] for r in rows]),
        }
    )
    touches: list[tuple[int, float, date | None]] = [(r[3], r[0], _local_day(r[10])) for r in rows if r[10] is not None]
    touches += [(a, np.nan, _local_day(t)) for a, t in account_touch.items() if t is not None]
    activities = pd.DataFrame(touches, columns=["account_id", "deal_id", "occurred_on"])
    activities["occurred_on"] = pd.to_datetime(activities["occurred_on"])
    scored = stale_deals(deals, activities, as_of=today)
    level = scored["stale_level"].to_numpy()
    counts = {lv: int((level == lv).sum()) for lv in STALE_LEVELS}
    keep = np.flatnonzero(level >= min_level)
    keep = keep[np.argsort(-scored["idle_days"].to_numpy()[keep], kind="stable")][:limit]
    out = []
    for i in keep.tolist():
        r = rows[i]
        out.append(
            StaleDeal(
                r[0], r[1] or r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                scored["last_activity_on"].iloc[i].date(), int(scored["idle_days"].iloc[i]), int(level[i]),
            )
        )  # fmt: skip
    return StaleDeals(out, counts)


@dataclass(frozen=True)
class DormantRow:
    """An account in the dormant list: when it last bought, how long ago, its last activity and owner."""

    account_id: int
    account_name: str
    owner_id: int | None
    owner: str | None
    lifecycle: str
    zone: str
    expected_value: Decimal | None
    last_purchase_on: date | None
    days_since_purchase: int | None
    last_activity_at: datetime | None
    open_follow_up: bool


@dataclass(frozen=True)
class DormantPage:
    rows: list[DormantRow]
    total: int
    page: int
    pages: int


LIFECYCLE_ALL = "all"


def dormant_list(
    snapshot: Snapshot,
    *,
    today: date,
    lifecycle: str = "dormant",
    owner_id: int | None = None,
    zone: str | None = None,
    idle_days: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> DormantPage:
    """The accounts of ``snapshot`` in ``lifecycle`` (``"all"``: any) with last purchase, days since, last activity.

    Filters: owner, zone, and ``idle_days`` (no activity since ``today - idle_days``: with zone
    "A" and the rep's owner id, exactly the home page's "zone-A accounts without activity"). By
    expected value, then account; two queries (the count and the page).
    """
    qs = SnapshotRow.objects.filter(snapshot=snapshot)
    if lifecycle != LIFECYCLE_ALL:
        qs = qs.filter(lifecycle=lifecycle)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if zone is not None:
        qs = qs.filter(zone=zone)
    if idle_days is not None:
        since = timezone.make_aware(datetime.combine(today - timedelta(days=idle_days), datetime.min.time()))
        qs = qs.exclude(Exists(Activity.objects.filter(account_id=OuterRef("account_id"), occurred_at__gte=since)))
    total = qs.count()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    bought = Deal.objects.filter(account_id=OuterRef("account_id"), status=Deal.Status.WON).order_by("-closed_on")
    touched = Activity.objects.filter(account_id=OuterRef("account_id")).order_by("-occurred_at")
    open_task = FollowUp.objects.filter(account_id=OuterRef("account_id"), status=FollowUp.Status.OPEN)
    rows = (
        qs.annotate(
            last_purchase=Subquery(bought.values("closed_on")[:1]),
            last_activity=Subquery(touched.values("occurred_at")[:1]),
            has_task=Exists(open_task),
        )
        .order_by(F("expected_value").desc(nulls_last=True), "account_id")
        .values_list(
            "account_id", "account__name", "owner_id", "owner__name", "lifecycle", "zone", "expected_value",
            "last_purchase", "last_activity", "has_task",
        )[(page - 1) * per_page : page * per_page]
    )  # fmt: skip
    out = [
        DormantRow(a, n, o, on, lc, z, ev, lp, (today - lp).days if lp else None, la, bool(t))
        for a, n, o, on, lc, z, ev, lp, la, t in rows
    ]
    return DormantPage(out, total, page, pages)


def assignable_reps() -> list[Rep]:
    """Active reps a manager may hand a follow-up to, developing reps first (one query)."""
    return list(Rep.objects.filter(active=True).order_by("tier", "name"))  # "developing" sorts before "strong"


def followup_get(followup_id: int) -> FollowUp | None:
    """One follow-up with its account (one query), or None."""
    return FollowUp.objects.select_related("account").filter(pk=followup_id).first()


def churn_get(churn_id: int) -> AccountChurn | None:
    """One recorded departure with its account (one query), or None."""
    return AccountChurn.objects.select_related("account").filter(pk=churn_id).first()


def churn_list(*, account_id: int, limit: int = 50) -> list[AccountChurn]:
    """An account's recorded departures, newest first, with who recorded and withdrew them (one query)."""
    qs = AccountChurn.objects.filter(account_id=account_id).select_related("recorded_by", "withdrawn_by")
    return list(qs.order_by("-churned_on", "-pk")[:limit])
