"""Shared reads of CRM records: filtered, ordered querysets with their relations joined.

Every list selector returns a lazy queryset that already joins what a list row shows
(``select_related``), so a caller that slices it runs one query per page, never one per row.
Ordering always ends with ``id`` so that limit/offset pages are stable.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from django.db.models import Count, Model, Q, QuerySet

from kokyaku.crm.models import Account, Activity, Deal, Rep, Team

_M = TypeVar("_M", bound=Model)

# Public ordering keys per list -> the ORDER BY they mean. A leading "-" sorts descending.
ACCOUNT_ORDERINGS = ("name", "external_id", "created_at", "updated_at", "employees", "annual_revenue", "id")
DEAL_ORDERINGS = ("opened_on", "closed_on", "amount", "name", "id")
ACTIVITY_ORDERINGS = ("occurred_at", "minutes", "id")
REP_ORDERINGS = ("name", "tier", "capacity", "id")


def _order(qs: QuerySet[_M], ordering: str | None, allowed: tuple[str, ...], default: list[str]) -> QuerySet[_M]:
    if not ordering:
        return qs.order_by(*default)
    key = ordering.removeprefix("-")
    if key not in allowed:
        raise ValueError(f"unknown ordering {ordering!r}; use one of {', '.join(allowed)} (prefix - for descending)")
    return qs.order_by(ordering, "id") if key != "id" else qs.order_by(ordering)


def account_list(
    *,
    owner: int | None = None,
    team: int | None = None,
    buyer_type: str | None = None,
    industry: str | None = None,
    region: str | None = None,
    q: str | None = None,
    ordering: str | None = None,
) -> QuerySet[Account]:
    """Return accounts matching every given filter, with owner and owner's team joined.

    ``q`` matches a case-insensitive substring of the name or the external id.
    Raises ValueError for an unknown ``ordering``.
    """
    qs = Account.objects.select_related("owner", "owner__team")
    if owner is not None:
        qs = qs.filter(owner_id=owner)
    if team is not None:
        qs = qs.filter(owner__team_id=team)
    if buyer_type:
        qs = qs.filter(buyer_type=buyer_type)
    if industry:
        qs = qs.filter(industry=industry)
    if region:
        qs = qs.filter(region=region)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(external_id__icontains=q))
    return _order(qs, ordering, ACCOUNT_ORDERINGS, ["name", "id"])


def account_get(*, account_id: int) -> Account | None:
    """Return one account with its owner joined, or None."""
    return Account.objects.select_related("owner", "owner__team").filter(pk=account_id).first()


def deal_list(
    *,
    status: str | None = None,
    account: int | None = None,
    owner: int | None = None,
    opened_from: date | None = None,
    opened_to: date | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
    ordering: str | None = None,
) -> QuerySet[Deal]:
    """Return deals matching every given filter, with account, owner and lost reason joined.

    Date ranges are inclusive on both ends; a deal without an amount never matches an amount bound.
    Raises ValueError for an unknown ``ordering``.
    """
    qs = Deal.objects.select_related("account", "owner", "lost_reason")
    if status:
        qs = qs.filter(status=status)
    if account is not None:
        qs = qs.filter(account_id=account)
    if owner is not None:
        qs = qs.filter(owner_id=owner)
    if opened_from is not None:
        qs = qs.filter(opened_on__gte=opened_from)
    if opened_to is not None:
        qs = qs.filter(opened_on__lte=opened_to)
    if closed_from is not None:
        qs = qs.filter(closed_on__gte=closed_from)
    if closed_to is not None:
        qs = qs.filter(closed_on__lte=closed_to)
    if min_amount is not None:
        qs = qs.filter(amount__gte=min_amount)
    if max_amount is not None:
        qs = qs.filter(amount__lte=max_amount)
    return _order(qs, ordering, DEAL_ORDERINGS, ["-opened_on", "id"])


def deal_get(*, deal_id: int) -> Deal | None:
    """Return one deal with its account, owner and lost reason joined, or None."""
    return Deal.objects.select_related("account", "owner", "lost_reason").filter(pk=deal_id).first()


def activity_list(
    *,
    account: int | None = None,
    rep: int | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ordering: str | None = None,
) -> QuerySet[Activity]:
    """Return activities matching every given filter, with account and rep joined.

    ``since`` is inclusive and ``until`` exclusive, so consecutive windows never count a touch twice.
    Raises ValueError for an unknown ``ordering``.
    """
    qs = Activity.objects.select_related("account", "rep")
    if account is not None:
        qs = qs.filter(account_id=account)
    if rep is not None:
        qs = qs.filter(rep_id=rep)
    if kind:
        qs = qs.filter(kind=kind)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lt=until)
    return _order(qs, ordering, ACTIVITY_ORDERINGS, ["-occurred_at", "id"])


def activity_get(*, activity_id: int) -> Activity | None:
    """Return one activity with its account and rep joined, or None."""
    return Activity.objects.select_related("account", "rep").filter(pk=activity_id).first()


def rep_list(
    *,
    team: int | None = None,
    tier: str | None = None,
    active: bool | None = None,
    ordering: str | None = None,
) -> QuerySet[Rep]:
    """Return reps matching every given filter, with their team and login joined.

    Raises ValueError for an unknown ``ordering``.
    """
    qs = Rep.objects.select_related("team", "user")
    if team is not None:
        qs = qs.filter(team_id=team)
    if tier:
        qs = qs.filter(tier=tier)
    if active is not None:
        qs = qs.filter(active=active)
    return _order(qs, ordering, REP_ORDERINGS, ["name", "id"])


def rep_get(*, rep_id: int) -> Rep | None:
    """Return one rep with team and login joined, or None."""
    return Rep.objects.select_related("team", "user").filter(pk=rep_id).first()


def team_list() -> QuerySet[Team]:
    """Return teams by name, each annotated with ``rep_count`` (its active reps)."""
    return Team.objects.annotate(rep_count=Count("reps", filter=Q(reps__active=True))).order_by("name", "id")


def team_get(*, team_id: int) -> Team | None:
    """Return one team annotated with ``rep_count``, or None."""
    return team_list().filter(pk=team_id).first()
