"""Typed request and response bodies of the CRM API, and its list filters (ninja ``FilterSchema``).

Money is ``Decimal`` end to end and travels as a JSON string ("1200000.00"), never a float. A
filter left out (or empty) filters nothing; each list's ``ordering`` sorts instead (the keyset
paginator reads it, since its cursor depends on it).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.db.models import Q
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, Schema
from pydantic import PlainSerializer, field_validator

from kokyaku.crm import selectors
from kokyaku.crm.models import Deal, Rep
from kokyaku.lib.pagination import PageMeta

# A Decimal that is written as a JSON string, so no client parses money into a binary float.
Money = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2, ge=0),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
]

BuyerType = Literal["visionary", "pragmatist", "conservative", "skeptic", "unknown"]
DealStatus = Literal["open", "won", "lost"]
ActivityKind = Literal["visit", "call", "email", "meeting", "proposal"]
Tier = Literal["strong", "developing"]

AccountOrdering = Literal[
    "name", "-name", "external_id", "-external_id", "created_at", "-created_at", "updated_at", "-updated_at",
    "employees", "-employees", "annual_revenue", "-annual_revenue", "id", "-id",
]  # fmt: skip
DealOrdering = Literal[
    "opened_on", "-opened_on", "expected_close_on", "-expected_close_on", "closed_on", "-closed_on",
    "amount", "-amount", "name", "-name", "id", "-id",
]  # fmt: skip
ActivityOrdering = Literal["occurred_at", "-occurred_at", "minutes", "-minutes", "id", "-id"]
RepOrdering = Literal["name", "-name", "tier", "-tier", "capacity", "-capacity", "id", "-id"]


# ---- references embedded in other records -------------------------------------------------


class TeamRef(Schema):
    id: int
    name: str


class RepRef(Schema):
    id: int
    name: str


class AccountRef(Schema):
    id: int
    external_id: str
    name: str


# ---- full records ---------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    rep_count: int = Field(description="Active reps in the team.")


class RepOut(Schema):
    id: int
    external_id: str | None
    name: str
    email: str
    team: TeamRef | None
    tier: Tier
    capacity: int
    active: bool
    username: str | None = Field(description="The login linked to this rep, if any.")

    @staticmethod
    def resolve_username(obj: Rep) -> str | None:
        return obj.user.get_username() if obj.user is not None else None


class AccountOwnerOut(RepRef):
    team: TeamRef | None


class AccountOut(Schema):
    id: int
    external_id: str
    name: str
    industry: str
    region: str
    employees: int | None
    annual_revenue: Money | None
    owner: AccountOwnerOut | None
    buyer_type: BuyerType
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Bumped by every change; send it back with a PATCH (or If-Match) to refuse lost updates.")


class DealOut(Schema):
    id: int
    external_id: str
    account: AccountRef
    owner: RepRef | None
    name: str
    product: str
    amount: Money | None
    currency: str
    stage: str
    status: DealStatus
    probability: int | None
    opened_on: date
    expected_close_on: date | None = Field(
        description="When the rep expects the deal to close (open deals; kept on closed ones as the forecast it was)."
    )
    closed_on: date | None = Field(description="When a won or lost deal closed; null while open.")
    lost_reason: str | None = Field(description="Lost-reason code (lost deals only).")
    lost_note: str
    version: int = Field(description="Bumped by every change; send it back with a PATCH (or If-Match) to refuse lost updates.")

    @staticmethod
    def resolve_lost_reason(obj: Deal) -> str | None:
        return obj.lost_reason.code if obj.lost_reason is not None else None


class ActivityOut(Schema):
    id: int
    external_id: str | None
    account: AccountRef
    rep: RepRef | None
    deal_id: int | None
    kind: ActivityKind
    occurred_at: datetime
    minutes: int
    note: str


# ---- pages ----------------------------------------------------------------------------------


class AccountPage(PageMeta):
    items: list[AccountOut]


class DealPage(PageMeta):
    items: list[DealOut]


class ActivityPage(PageMeta):
    items: list[ActivityOut]


class RepPage(PageMeta):
    items: list[RepOut]


class TeamPage(PageMeta):
    items: list[TeamOut]


# ---- filters and orderings (query parameters) ----------------------------------------------


def _aware(value: datetime | None) -> datetime | None:
    """A time without a zone is local time (Asia/Tokyo by default), as everywhere in Kokyaku."""
    return timezone.make_aware(value) if value is not None and timezone.is_naive(value) else value


class OrderedFilters(FilterSchema):
    """Filters with an ``ordering`` field, which sorts and does not filter (the paginator reads it)."""

    def filter_ordering(self, value: str | None) -> Q:
        return Q()


class AccountFilters(OrderedFilters):
    owner: Annotated[int | None, FilterLookup("owner_id")] = Field(None, description="Owner rep id.")
    team: int | None = Field(None, description="Team id of the owner.")
    buyer_type: BuyerType | None = None
    industry: str | None = Field(None, description="Exact industry.")
    region: str | None = Field(None, description="Exact region.")
    q: Annotated[str | None, FilterLookup(["name__icontains", "external_id__icontains"])] = Field(
        None, min_length=1, max_length=100, description="Name or external id contains (case-insensitive)."
    )

    @field_validator("industry", "region", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # ?industry= filters nothing, as it always did

    ordering: AccountOrdering | None = Field(None, description="Sort key; prefix - for descending. Default: name.")

    def filter_team(self, team: int | None) -> Q:
        return Q() if team is None else selectors.accounts_of_team(team)


class DealFilters(OrderedFilters):
    status: DealStatus | None = None
    account: Annotated[int | None, FilterLookup("account_id")] = Field(None, description="Account id.")
    owner: Annotated[int | None, FilterLookup("owner_id")] = Field(None, description="Owner rep id.")
    opened_from: Annotated[date | None, FilterLookup("opened_on__gte")] = Field(
        None, description="Opened on or after (inclusive)."
    )
    opened_to: Annotated[date | None, FilterLookup("opened_on__lte")] = Field(
        None, description="Opened on or before (inclusive)."
    )
    closed_from: Annotated[date | None, FilterLookup("closed_on__gte")] = Field(
        None, description="Closed on or after (inclusive)."
    )
    closed_to: Annotated[date | None, FilterLookup("closed_on__lte")] = Field(
        None, description="Closed on or before (inclusive)."
    )
    expected_from: Annotated[date | None, FilterLookup("expected_close_on__gte")] = Field(
        None, description="Expected to close on or after (inclusive)."
    )
    expected_to: Annotated[date | None, FilterLookup("expected_close_on__lte")] = Field(
        None, description="Expected to close on or before (inclusive)."
    )
    min_amount: Annotated[Decimal | None, FilterLookup("amount__gte")] = Field(
        None, ge=0, description="Amount at least (inclusive)."
    )
    max_amount: Annotated[Decimal | None, FilterLookup("amount__lte")] = Field(
        None, ge=0, description="Amount at most (inclusive)."
    )
    ordering: DealOrdering | None = Field(None, description="Sort key; prefix - for descending. Default: -opened_on.")


class ActivityFilters(OrderedFilters):
    account: Annotated[int | None, FilterLookup("account_id")] = Field(None, description="Account id.")
    rep: Annotated[int | None, FilterLookup("rep_id")] = Field(None, description="Rep id.")
    kind: ActivityKind | None = None
    since: Annotated[datetime | None, FilterLookup("occurred_at__gte")] = Field(
        None, description="Occurred at or after (inclusive); a date means its midnight."
    )
    until: Annotated[datetime | None, FilterLookup("occurred_at__lt")] = Field(None, description="Occurred before (exclusive).")
    ordering: ActivityOrdering | None = Field(None, description="Sort key; prefix - for descending. Default: -occurred_at.")

    @field_validator("since", "until")
    @classmethod
    def _local_time(cls, value: datetime | None) -> datetime | None:
        return _aware(value)


class RepFilters(OrderedFilters):
    team: Annotated[int | None, FilterLookup("team_id")] = Field(None, description="Team id.")
    tier: Tier | None = None
    active: bool | None = None
    ordering: RepOrdering | None = Field(None, description="Sort key; prefix - for descending. Default: name.")


# ---- writes ---------------------------------------------------------------------------------


class AccountPatch(Schema):
    """Only the fields present in the body change. ``owner`` changes need a manager."""

    name: str | None = Field(None, min_length=1, max_length=300)
    industry: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, ge=0)
    annual_revenue: Money | None = None
    buyer_type: BuyerType | None = None
    owner: int | None = Field(None, description="Rep id of the new owner, or null for unassigned (managers only).")
    version: int | None = Field(
        None, ge=1, description="The version you read: a 409 instead of overwriting someone's newer change. Or send If-Match."
    )


class DealPatch(Schema):
    """Only the fields present in the body change. ``owner`` changes need a manager."""

    name: str | None = Field(None, max_length=300)
    product: str | None = Field(None, max_length=200)
    amount: Money | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    stage: str | None = Field(None, max_length=100)
    status: DealStatus | None = None
    probability: int | None = Field(None, ge=0, le=100)
    expected_close_on: date | None = Field(
        None, description="When the deal should close; open deals only (it puts the deal in that period's pipeline)."
    )
    closed_on: date | None = Field(None, description="When a won or lost deal closed; open deals have none.")
    lost_reason: str | None = Field(None, description="Lost-reason code; only for lost deals.")
    lost_note: str | None = None
    owner: int | None = Field(None, description="Rep id of the new owner (managers only).")
    version: int | None = Field(
        None, ge=1, description="The version you read: a 409 instead of overwriting someone's newer change. Or send If-Match."
    )


class AccountConflictOut(Schema):
    """409: the account changed after the version the PATCH said it started from; nothing was saved."""

    detail: str
    version: int = Field(description="The account's version now.")
    changed_by: str
    changed_at: datetime | None
    current: AccountOut


class DealConflictOut(Schema):
    """409: the deal changed after the version the PATCH said it started from; nothing was saved."""

    detail: str
    version: int = Field(description="The deal's version now.")
    changed_by: str
    changed_at: datetime | None
    current: DealOut


class ActivityIn(Schema):
    account: int = Field(description="Account id.")
    kind: ActivityKind
    occurred_at: datetime | None = Field(None, description="When it happened; default now. A time without zone is local time.")
    minutes: int = Field(0, ge=0, le=24 * 60)
    note: str = Field("", max_length=10_000)
    deal: int | None = Field(None, description="Deal id; must belong to the account.")
    rep: int | None = Field(None, description="Rep id; a rep may only give their own. Default: you.")
