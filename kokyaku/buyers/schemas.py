"""The buyers API's bodies and filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from kokyaku.lib.pagination import PageMeta

BuyerType = Literal["visionary", "pragmatist", "conservative", "skeptic", "unknown"]
RoleCode = Literal["decision_maker", "user_department", "it", "purchasing", "finance", "other"]
StanceCode = Literal["supporter", "neutral", "opponent"]


class ReasonOut(Schema):
    code: str
    feature: str
    value: float
    weight: float


class SuggestionOut(Schema):
    buyer_type: str
    score: float
    method: str
    status: str
    reasons: list[ReasonOut]
    computed_at: datetime


class DecisionOut(Schema):
    buyer_type: str
    previous: str
    source: str
    confidence: float | None
    set_by: str | None
    set_at: datetime


class GapsOut(Schema):
    key_persons: int
    decision_makers: int
    too_few: bool
    no_decision_maker: bool
    flagged: bool


class AccountBuyersOut(Schema):
    account_id: int
    buyer_type: str
    traits: list[str] = Field(description="The ticked checklist traits (codes: docs/buyer-types.md).")
    checklist_type: str
    checklist_confidence: float
    decision: DecisionOut | None
    suggestion: SuggestionOut | None
    gaps: GapsOut


class ChecklistIn(Schema):
    traits: list[str]
    confirm: bool = Field(False, description="Also set the account's type to the type the ticks score to.")


class TypeIn(Schema):
    buyer_type: BuyerType


class SuggestionDecisionIn(Schema):
    accept: bool


class KeyPersonOut(Schema):
    id: int
    account_id: int
    external_id: str | None
    name: str
    department: str
    title: str
    role: str
    benefit: str
    influence: int
    stance: str
    last_contact: date | None
    notes: str


class KeyPersonIn(Schema):
    account_id: int
    name: str = Field(..., min_length=1, max_length=200)
    department: str = ""
    title: str = ""
    role: RoleCode = "other"
    benefit: str = ""
    influence: int = Field(3, ge=1, le=5)
    stance: StanceCode = "neutral"
    last_contact: date | None = None
    notes: str = ""


class KeyPersonPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    department: str | None = None
    title: str | None = None
    role: RoleCode | None = None
    benefit: str | None = None
    influence: int | None = Field(None, ge=1, le=5)
    stance: StanceCode | None = None
    last_contact: date | None = None
    notes: str | None = None


class KeyPersonPage(PageMeta):
    items: list[KeyPersonOut]


class KeyPersonFilters(FilterSchema):
    account: Annotated[int | None, FilterLookup("account_id")] = Field(None, description="Account id.")

    def filter_ordering(self, value: str | None) -> Q:
        return Q()


class ObjectionOut(Schema):
    id: int
    account_id: int
    rep_id: int | None
    deal_id: int | None
    date: date
    product: str
    tags: str
    said: str
    answer: str
    from_lost_note: bool


class ObjectionIn(Schema):
    account_id: int
    date: date
    said: str = Field(..., min_length=1)
    answer: str = ""
    product: str = ""
    tags: str = Field("", description='Comma-separated category tags, e.g. "price,roi".')


class ObjectionPage(PageMeta):
    items: list[ObjectionOut]


class ObjectionQuery(Schema):
    q: str = Field(
        "", max_length=200, description="Every word must appear in what was said, the answer or the tags (Japanese works)."
    )
    buyer_type: BuyerType | None = None
    tag: str = ""
    product: str = ""
    start: date | None = None
    end: date | None = None
    ordering: Literal["date", "-date", "id", "-id"] | None = Field(None, description="Default -date (newest first).")


class TypeCountsRow(Schema):
    label: str
    counts: dict[str, int]
    total: int


class TypeCountsOut(Schema):
    snapshot_as_of: date | None
    by_zone: list[TypeCountsRow]
    by_rep: list[TypeCountsRow]
    trend: list[TypeCountsRow]
