"""Follow-up routes: the queue, its writes, stale deals, and recording a departure (mounted by ``kokyaku/api/urls.py``).

(No ``from __future__ import annotations``: ninja's ``paginate`` resolves the annotations in its own module.)
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from kokyaku.crm.selectors import account_get
from kokyaku.crm.services import churn_record, churn_withdraw
from kokyaku.followups import selectors, services
from kokyaku.followups.models import FollowUp
from kokyaku.lib.api import READ_ERRORS, WRITE_ERRORS, Day
from kokyaku.lib.pagination import KeysetPagination, PageMeta
from kokyaku.users.roles import is_manager

router = Router()
ORDERINGS = ("due_on", "created_at", "closed_at", "id")
Status = Literal["open", "done", "cancelled"]
Outcome = Literal["meeting", "deal", "contacted", "no_reply", "leaving"]


def _need(request: HttpRequest) -> None:
    if not request.user.has_perm("crm.view_account"):
        raise PermissionDenied(_("Your role does not allow reading these records."))


def _followup(followup_id: int) -> FollowUp:
    found = selectors.followup_get(followup_id)
    if found is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Follow-up"), "id": followup_id})
    return found


class FollowUpOut(Schema):
    id: int
    account_id: int
    account_name: str = Field(..., alias="account.name")
    assignee_id: int | None
    reason: str = Field(..., description="dormant or at_risk: what the account became at the snapshot")
    rule: str = Field(
        ..., description="why this assignee: owner, released, no_owner, unassigned, plan (moved by an applied assignment plan)"
    )
    due_on: date
    status: str
    outcome: str
    note: str
    snapshot_id: int | None
    created_at: datetime
    closed_at: datetime | None
    reactivated_on: date | None = Field(None, description="set when the account bought again and that closed it")


class FollowUpPage(PageMeta):
    items: list[FollowUpOut]


class FollowUpFilters(FilterSchema):
    assignee: Annotated[int | None, FilterLookup("assignee_id")] = Field(None, description="Assignee rep id.")
    account: Annotated[int | None, FilterLookup("account_id")] = None
    status: Status | None = Field(None, description="Default: every status.")
    reason: Literal["dormant", "at_risk"] | None = None
    due_before: Annotated[date | None, FilterLookup("due_on__lt")] = Field(
        None, description="Due before this day (overdue: today)."
    )
    ordering: Literal["due_on", "-due_on", "created_at", "-created_at", "closed_at", "-closed_at", "id", "-id"] | None = Field(
        None, description="Sort key; prefix - for descending. Default: due_on."
    )

    def filter_ordering(self, value: str | None) -> Q:
        return Q()


@router.get("/followups", response={200: FollowUpPage, **READ_ERRORS}, tags=["followups"], summary="List follow-ups")
@paginate(KeysetPagination, orderings=ORDERINGS, default="due_on")
def followup_list(request: HttpRequest, filters: Query[FollowUpFilters]) -> QuerySet[FollowUp]:
    """The follow-up queue, filtered by assignee, account, status, reason and due date."""
    _need(request)
    return selectors.followup_list(status=None).select_related("account").filter(filters.get_filter_expression())


class CompleteIn(Schema):
    outcome: Outcome = Field(..., description="leaving also records the departure (the note is its reason)")
    note: str = ""


class CancelIn(Schema):
    note: str = ""


class ReassignIn(Schema):
    assignee: int = Field(..., description="An active rep's id.")
    due_on: Day | None = None


@router.post(
    "/followups/{followup_id}/complete",
    response={200: FollowUpOut, **WRITE_ERRORS},
    tags=["followups"],
    summary="Complete a follow-up",
)
def followup_complete(request: HttpRequest, followup_id: int, body: CompleteIn) -> Any:
    """Mark an open follow-up done with its outcome: its assignee, or a manager."""
    _need(request)
    return services.followup_complete(actor=request.user, followup=_followup(followup_id), outcome=body.outcome, note=body.note)


@router.post(
    "/followups/{followup_id}/cancel",
    response={200: FollowUpOut, **WRITE_ERRORS},
    tags=["followups"],
    summary="Cancel a follow-up",
)
def followup_cancel(request: HttpRequest, followup_id: int, body: CancelIn) -> Any:
    """Cancel an open follow-up that is no longer needed: its assignee, or a manager."""
    _need(request)
    return services.followup_cancel(actor=request.user, followup=_followup(followup_id), note=body.note)


@router.post(
    "/followups/{followup_id}/reassign",
    response={200: FollowUpOut, **WRITE_ERRORS},
    tags=["followups"],
    summary="Reassign a follow-up",
)
def followup_reassign(request: HttpRequest, followup_id: int, body: ReassignIn) -> Any:
    """Give an open follow-up to another active rep: managers only."""
    _need(request)
    return services.followup_reassign(
        actor=request.user, followup=_followup(followup_id), assignee_id=body.assignee, due_on=body.due_on
    )


class RepQueueOut(Schema):
    rep_id: int | None
    rep: str | None
    tier: str | None
    open: int
    overdue: int
    done: int
    reactivated: int
    cancelled: int


@router.get("/followups/queue", response={200: list[RepQueueOut], **READ_ERRORS}, tags=["followups"], summary="The queue per rep")
def followup_queue(request: HttpRequest) -> Any:
    """Per assignee: open, overdue, done, closed by a reactivation, cancelled (managers)."""
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers can see the queue of every rep."))
    return selectors.queue_by_rep(today=timezone.localdate())


class StaleDealOut(Schema):
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
    level: int = Field(..., description="7, 30 or 90: the largest the idle days reach")


@router.get(
    "/followups/stale-deals", response={200: list[StaleDealOut], **READ_ERRORS}, tags=["followups"], summary="Stale deals"
)
def stale_deal_list(request: HttpRequest, owner: int | None = None, level: Literal[7, 30, 90] = 7, limit: int = 200) -> Any:
    """Open deals idle for at least ``level`` days, the stalest first (``limit``: 1 to 1,000)."""
    _need(request)
    rows = min(max(limit, 1), 1000)
    return selectors.stale_deal_list(today=timezone.localdate(), owner_id=owner, min_level=level, limit=rows).rows


class ChurnIn(Schema):
    churned_on: date
    reason: str


class ChurnOut(Schema):
    id: int
    account_id: int
    churned_on: date
    reason: str
    recorded_at: datetime
    withdrawn_at: datetime | None


@router.post(
    "/accounts/{account_id}/churn", response={200: ChurnOut, **WRITE_ERRORS}, tags=["followups"], summary="Record a departure"
)
def account_churn(request: HttpRequest, account_id: int, body: ChurnIn) -> Any:
    """Record that the customer said it is leaving (離反): the owner or a manager. Never inferred."""
    _need(request)
    account = account_get(account_id=account_id)
    if account is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Account"), "id": account_id})
    return churn_record(actor=request.user, account=account, churned_on=body.churned_on, reason=body.reason)


@router.post(
    "/churns/{churn_id}/withdraw", response={200: ChurnOut, **WRITE_ERRORS}, tags=["followups"], summary="Withdraw a departure"
)
def churn_withdraw_one(request: HttpRequest, churn_id: int) -> Any:
    """Withdraw a recorded departure (kept as history): the owner or a manager."""
    _need(request)
    churn = selectors.churn_get(churn_id)
    if churn is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Departure"), "id": churn_id})
    return churn_withdraw(actor=request.user, churn=churn)
