"""Assignment routes: plans, their moves and their application; releasing and pinning accounts.

Managers make, review (exclude moves) and apply plans; a strong rep releases their own accounts.
The writes and their rights live in :mod:`kokyaku.assignment.services` and
:mod:`kokyaku.crm.permissions`; endpoints stay thin.

(No ``from __future__ import annotations`` here: ninja's ``paginate`` wrapper resolves the
endpoints' annotations in its own module, so they must be real types.)
"""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kokyaku.assignment import services
from kokyaku.assignment.labels import infeasible_message, move_reason
from kokyaku.assignment.models import AccountRelease, Plan, PlanMove
from kokyaku.crm.models import Account
from kokyaku.crm.permissions import allowed
from kokyaku.lib.api import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kokyaku.lib.pagination import KeysetPagination, PageMeta

router = Router(tags=["assignment"])


class PlanOut(Schema):
    id: int
    status: str = Field(description="optimal (proven), unproven (within every capacity, see gap) or infeasible")
    reason: dict[str, Any] | None = Field(description="Why no plan exists: code, message, details, totals")
    reason_text: str = Field(description="The reason as a sentence in the request's language")
    method: str
    accounts: int
    moves: int = Field(description="Moves the plan makes (excluded ones included)")
    follow_up: int = Field(description="Dormant accounts no strong rep covers after the plan: the follow-up queue")
    policy_fit: float | None = Field(description="Share of accounts placed with the tier the policy wants")
    policy_fit_before: float | None
    gap: float | None = Field(description="How far below the bound an unproven plan may be (0 when optimal)")
    baselines: dict[str, Any] = Field(description="round_robin and equal_split: policy_fit and moves on the same data")
    solver_seconds: float
    policy_version: int | None
    created_at: datetime
    applied_at: datetime | None

    @staticmethod
    def resolve_reason_text(obj: Plan) -> str:
        return infeasible_message(obj.reason)

    @staticmethod
    def resolve_moves(obj: Plan) -> int:
        return obj.move_count

    @staticmethod
    def resolve_policy_version(obj: Plan) -> int | None:
        return obj.policy_version_id


class PlanPage(PageMeta):
    items: list[PlanOut]


class MoveOut(Schema):
    id: int
    account_id: int
    from_rep_id: int | None
    to_rep_id: int | None
    reason: str = Field(description="The code that decided the move (a policy term, unowned, over_capacity, ...)")
    reason_text: str
    term: str
    excluded: bool

    @staticmethod
    def resolve_reason_text(obj: PlanMove) -> str:
        return move_reason(obj.reason)


class MovePage(PageMeta):
    items: list[MoveOut]


class MoveFilters(FilterSchema):
    to_rep: Annotated[int | None, FilterLookup("to_rep_id")] = Field(None, description="Moves to this rep.")
    from_rep: Annotated[int | None, FilterLookup("from_rep_id")] = Field(None, description="Moves from this rep.")
    excluded: bool | None = None


class ExcludeIn(Schema):
    move_ids: list[int]
    excluded: bool = True


class ChangedOut(Schema):
    changed: int


class AppliedOut(Schema):
    plan: PlanOut
    moved: int = Field(description="Accounts whose owner changed")


class ReleaseIn(Schema):
    reason: str


class ReleaseOut(Schema):
    id: int
    account_id: int
    rep_id: int | None
    reason: str
    created_at: datetime
    withdrawn_at: datetime | None
    resolved_at: datetime | None


class PinIn(Schema):
    note: str = ""


def _manager(request: HttpRequest) -> None:
    if not allowed(request.user, "assignment_plan"):
        raise PermissionDenied(_("Only managers can make and review assignment plans."))


def _plan(plan_id: int) -> Plan:
    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Plan"), "id": plan_id})
    return plan


def _account(account_id: int) -> Account:
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Account"), "id": account_id})
    return account


@router.get("/assignment/plans", response={200: PlanPage, **READ_ERRORS}, summary="List assignment plans")
@paginate(KeysetPagination, orderings=("id", "-id"), default="-id")
def plan_list(request: HttpRequest) -> QuerySet[Plan]:
    """Plans, newest first (managers)."""
    _manager(request)
    return Plan.objects.all()


@router.get("/assignment/plans/{plan_id}", response={200: PlanOut, **ONE_ERRORS}, summary="Get an assignment plan")
def plan_detail(request: HttpRequest, plan_id: int) -> Any:
    _manager(request)
    return _plan(plan_id)


@router.get("/assignment/plans/{plan_id}/moves", response={200: MovePage, **ONE_ERRORS}, summary="List a plan's moves")
@paginate(KeysetPagination, orderings=("id",), default="id")
def plan_moves(request: HttpRequest, plan_id: int, filters: Query[MoveFilters]) -> QuerySet[PlanMove]:
    """Each account the plan moves: from whom, to whom, why; filter by rep or exclusion."""
    _manager(request)
    return filters.filter(PlanMove.objects.filter(plan=_plan(plan_id)))


@router.post("/assignment/plans", response={201: PlanOut, **WRITE_ERRORS}, summary="Make an assignment plan")
def plan_create(request: HttpRequest) -> Any:
    """Compute and store a plan under the current policy (nothing moves). An infeasible plan says why."""
    return Status(201, services.assignment_plan(actor=request.user))


@router.post("/assignment/plans/{plan_id}/exclude", response={200: ChangedOut, **WRITE_ERRORS}, summary="Exclude moves")
def plan_exclude(request: HttpRequest, plan_id: int, body: ExcludeIn) -> Any:
    """Exclude moves from a plan (``excluded: false`` includes them back) before applying it."""
    changed = services.plan_moves_exclude(actor=request.user, plan=_plan(plan_id), move_ids=body.move_ids, excluded=body.excluded)
    return ChangedOut(changed=changed)


@router.post("/assignment/plans/{plan_id}/apply", response={200: AppliedOut, **WRITE_ERRORS}, summary="Apply a plan")
def plan_apply(request: HttpRequest, plan_id: int) -> Any:
    """Move the owners (moves not excluded) in one transaction; 400 and nothing moved if the data changed since."""
    plan = _plan(plan_id)
    moved = services.assignment_apply(actor=request.user, plan=plan)
    plan.refresh_from_db()
    return {"plan": plan, "moved": moved}


@router.post(
    "/assignment/accounts/{account_id}/release", response={201: ReleaseOut, **WRITE_ERRORS}, summary="Release an account"
)
def account_release(request: HttpRequest, account_id: int, body: ReleaseIn) -> Any:
    """A strong rep gives up on an account they own, with why; it stays theirs until a plan moves it."""
    return Status(201, services.account_release(actor=request.user, account=_account(account_id), reason=body.reason))


@router.post(
    "/assignment/releases/{release_id}/withdraw", response={200: ReleaseOut, **WRITE_ERRORS}, summary="Withdraw a release"
)
def release_withdraw(request: HttpRequest, release_id: int) -> Any:
    release = AccountRelease.objects.filter(pk=release_id).first()
    if release is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Release"), "id": release_id})
    return services.account_release_withdraw(actor=request.user, release=release)


@router.put("/assignment/accounts/{account_id}/pin", response={204: None, **WRITE_ERRORS}, summary="Pin an account")
def account_pin(request: HttpRequest, account_id: int, body: PinIn) -> Any:
    """Pin an account to its owner: no plan moves it (managers)."""
    services.account_pin(actor=request.user, account=_account(account_id), note=body.note)
    return Status(204, None)


@router.delete("/assignment/accounts/{account_id}/pin", response={204: None, **WRITE_ERRORS}, summary="Unpin an account")
def account_unpin(request: HttpRequest, account_id: int) -> Any:
    services.account_unpin(actor=request.user, account=_account(account_id))
    return Status(204, None)
