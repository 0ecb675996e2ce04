"""Typed request and response bodies of the CRM API.

Money is ``Decimal`` end to end and travels as a JSON string ("1200000.00"), never a float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import PlainSerializer

from kokyaku.crm.models import Deal, Rep

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


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict[str, object]]


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


class PageMeta(Schema):
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page (offset paging), or null on the last page.")
    next_cursor: str | None = Field(description="Pass as cursor= to get the next page; null on the last page.")
    next: str | None = Field(description="Path and query of the next page (cursor-based), or null on the last page.")
    count: int | None = Field(description="Total matching rows; only computed when asked with count=true.")


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


# ---- filters (query parameters) -------------------------------------------------------------


class AccountFilters(Schema):
    owner: int | None = Field(None, description="Owner rep id.")
    team: int | None = Field(None, description="Team id of the owner.")
    buyer_type: BuyerType | None = None
    industry: str | None = Field(None, description="Exact industry.")
    region: str | None = Field(None, description="Exact region.")
    q: str | None = Field(None, min_length=1, max_length=100, description="Name or external id contains (case-insensitive).")
    ordering: AccountOrdering | None = Field(None, description="Sort key; prefix - for descending. Default: name.")


class DealFilters(Schema):
    status: DealStatus | None = None
    account: int | None = Field(None, description="Account id.")
    owner: int | None = Field(None, description="Owner rep id.")
    opened_from: date | None = Field(None, description="Opened on or after (inclusive).")
    opened_to: date | None = Field(None, description="Opened on or before (inclusive).")
    closed_from: date | None = Field(None, description="Closed on or after (inclusive).")
    closed_to: date | None = Field(None, description="Closed on or before (inclusive).")
    expected_from: date | None = Field(None, description="Expected to close on or after (inclusive).")
    expected_to: date | None = Field(None, description="Expected to close on or before (inclusive).")
    min_amount: Decimal | None = Field(None, ge=0, description="Amount at least (inclusive).")
    max_amount: Decimal | None = Field(None, ge=0, description="Amount at most (inclusive).")
    ordering: DealOrdering | None = Field(None, description="Sort key; prefix - for descending. Default: -opened_on.")


class ActivityFilters(Schema):
    account: int | None = Field(None, description="Account id.")
    rep: int | None = Field(None, description="Rep id.")
    kind: ActivityKind | None = None
    since: datetime | None = Field(None, description="Occurred at or after (inclusive); a date means its midnight.")
    until: datetime | None = Field(None, description="Occurred before (exclusive).")
    ordering: ActivityOrdering | None = Field(None, description="Sort key; prefix - for descending. Default: -occurred_at.")


class RepFilters(Schema):
    team: int | None = Field(None, description="Team id.")
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


class ActivityIn(Schema):
    account: int = Field(description="Account id.")
    kind: ActivityKind
    occurred_at: datetime | None = Field(None, description="When it happened; default now. A time without zone is local time.")
    minutes: int = Field(0, ge=0, le=24 * 60)
    note: str = Field("", max_length=10_000)
    deal: int | None = Field(None, description="Deal id; must belong to the account.")
    rep: int | None = Field(None, description="Rep id; a rep may only give their own. Default: you.")
