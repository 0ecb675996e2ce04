"""CRM routes: accounts, deals, activities, reps and teams.

Endpoints stay thin: parse the query or body, check the read permission, call one selector or
service, return the schema. Writes and their ownership rules live in ``kokyaku.crm.services``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Schema, Status
from ninja.errors import HttpError

from kokyaku.api.pagination import PageParams, paginate
from kokyaku.api.schemas import (
    AccountFilters,
    AccountOut,
    AccountPage,
    AccountPatch,
    ActivityFilters,
    ActivityIn,
    ActivityOut,
    ActivityPage,
    DealFilters,
    DealOut,
    DealPage,
    DealPatch,
    ErrorOut,
    RepFilters,
    RepOut,
    RepPage,
    TeamOut,
    TeamPage,
    ValidationErrorOut,
)
from kokyaku.api.urls import api
from kokyaku.crm import selectors, services
from kokyaku.crm.models import Deal, Rep

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
ONE_ERRORS: dict[int, Any] = {**READ_ERRORS, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ONE_ERRORS, 400: ErrorOut}


class PingOut(Schema):
    ok: bool
    user: str


def _need(request: HttpRequest, perm: str) -> None:
    """Refuse (403) a login whose role does not include ``perm``."""
    if not request.user.has_perm(perm):
        raise PermissionDenied("Your role does not allow reading these records.")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _not_found(kind: str, pk: int) -> HttpError:
    return HttpError(404, f"{kind} {pk} not found.")


@api.get("/ping", response=PingOut, tags=["meta"], summary="Who am I")
def ping(request: HttpRequest) -> PingOut:
    """Check that the API answers and who it thinks you are."""
    return PingOut(ok=True, user=request.user.get_username())


# ---- accounts -------------------------------------------------------------------------------


@api.get("/accounts", response={200: AccountPage, **READ_ERRORS}, tags=["accounts"], summary="List accounts")
def account_list(request: HttpRequest, filters: Query[AccountFilters], page: Query[PageParams]) -> dict[str, Any]:
    """List accounts, filtered and ordered; every role sees the whole portfolio."""
    _need(request, "crm.view_account")
    return paginate(
        request,
        selectors.account_list(**filters.dict()),
        page,
        ordering=filters.ordering or selectors.ACCOUNT_DEFAULT_ORDERING,
        allowed=selectors.ACCOUNT_ORDERINGS,
    )


@api.get("/accounts/{account_id}", response={200: AccountOut, **ONE_ERRORS}, tags=["accounts"], summary="Get an account")
def account_detail(request: HttpRequest, account_id: int) -> Any:
    """Return one account."""
    _need(request, "crm.view_account")
    account = selectors.account_get(account_id=account_id)
    if account is None:
        raise _not_found("Account", account_id)
    return account


@api.patch("/accounts/{account_id}", response={200: AccountOut, **WRITE_ERRORS}, tags=["accounts"], summary="Update an account")
def account_patch(request: HttpRequest, account_id: int, body: AccountPatch) -> Any:
    """Change an account: a rep only their own accounts; the owner only by a manager."""
    _need(request, "crm.view_account")
    account = selectors.account_get(account_id=account_id)
    if account is None:
        raise _not_found("Account", account_id)
    services.account_update(actor=request.user, account=account, changes=body.dict(exclude_unset=True))
    return selectors.account_get(account_id=account_id)


# ---- deals ----------------------------------------------------------------------------------


@api.get("/deals", response={200: DealPage, **READ_ERRORS}, tags=["deals"], summary="List deals")
def deal_list(request: HttpRequest, filters: Query[DealFilters], page: Query[PageParams]) -> dict[str, Any]:
    """List deals, filtered by status, account, owner, dates and amount."""
    _need(request, "crm.view_deal")
    if filters.min_amount is not None and filters.max_amount is not None and filters.min_amount > filters.max_amount:
        raise HttpError(400, f"min_amount ({filters.min_amount}) is greater than max_amount ({filters.max_amount}).")
    return paginate(
        request,
        selectors.deal_list(**filters.dict()),
        page,
        ordering=filters.ordering or selectors.DEAL_DEFAULT_ORDERING,
        allowed=selectors.DEAL_ORDERINGS,
    )


@api.get("/deals/{deal_id}", response={200: DealOut, **ONE_ERRORS}, tags=["deals"], summary="Get a deal")
def deal_detail(request: HttpRequest, deal_id: int) -> Any:
    """Return one deal."""
    _need(request, "crm.view_deal")
    deal = selectors.deal_get(deal_id=deal_id)
    if deal is None:
        raise _not_found("Deal", deal_id)
    return deal


@api.patch("/deals/{deal_id}", response={200: DealOut, **WRITE_ERRORS}, tags=["deals"], summary="Update a deal")
def deal_patch(request: HttpRequest, deal_id: int, body: DealPatch) -> Any:
    """Change a deal: a rep only deals they own; the owner only by a manager."""
    _need(request, "crm.view_deal")
    deal = selectors.deal_get(deal_id=deal_id)
    if deal is None:
        raise _not_found("Deal", deal_id)
    services.deal_update(actor=request.user, deal=deal, changes=body.dict(exclude_unset=True))
    return selectors.deal_get(deal_id=deal_id)


# ---- activities -----------------------------------------------------------------------------


@api.get("/activities", response={200: ActivityPage, **READ_ERRORS}, tags=["activities"], summary="List activities")
def activity_list(request: HttpRequest, filters: Query[ActivityFilters], page: Query[PageParams]) -> dict[str, Any]:
    """List activities, filtered by account, rep, kind and time window [since, until)."""
    _need(request, "crm.view_activity")
    params = filters.dict()
    params["since"], params["until"] = _aware(filters.since), _aware(filters.until)
    return paginate(
        request,
        selectors.activity_list(**params),
        page,
        ordering=filters.ordering or selectors.ACTIVITY_DEFAULT_ORDERING,
        allowed=selectors.ACTIVITY_ORDERINGS,
    )


@api.get("/activities/{activity_id}", response={200: ActivityOut, **ONE_ERRORS}, tags=["activities"], summary="Get an activity")
def activity_detail(request: HttpRequest, activity_id: int) -> Any:
    """Return one activity."""
    _need(request, "crm.view_activity")
    activity = selectors.activity_get(activity_id=activity_id)
    if activity is None:
        raise _not_found("Activity", activity_id)
    return activity


@api.post("/activities", response={201: ActivityOut, **WRITE_ERRORS}, tags=["activities"], summary="Log an activity")
def activity_post(request: HttpRequest, body: ActivityIn) -> Any:
    """Log an activity: a rep their own, on their own accounts; a manager for anyone on any account."""
    _need(request, "crm.view_activity")
    account = selectors.account_get(account_id=body.account)
    if account is None:
        raise ValidationError(f"account: account {body.account} does not exist.")
    deal = None
    if body.deal is not None:
        deal = Deal.objects.filter(pk=body.deal).first()
        if deal is None:
            raise ValidationError(f"deal: deal {body.deal} does not exist.")
    rep = None
    if body.rep is not None:
        rep = Rep.objects.filter(pk=body.rep).first()
        if rep is None:
            raise ValidationError(f"rep: rep {body.rep} does not exist.")
    activity = services.activity_create(
        actor=request.user,
        account=account,
        kind=body.kind,
        occurred_at=_aware(body.occurred_at) or timezone.now(),
        minutes=body.minutes,
        note=body.note,
        deal=deal,
        rep=rep,
    )
    return Status(201, selectors.activity_get(activity_id=activity.pk))


# ---- reps and teams -------------------------------------------------------------------------


@api.get("/reps", response={200: RepPage, **READ_ERRORS}, tags=["reps"], summary="List reps")
def rep_list(request: HttpRequest, filters: Query[RepFilters], page: Query[PageParams]) -> dict[str, Any]:
    """List reps, filtered by team, tier and active."""
    _need(request, "crm.view_rep")
    return paginate(
        request,
        selectors.rep_list(**filters.dict()),
        page,
        ordering=filters.ordering or selectors.REP_DEFAULT_ORDERING,
        allowed=selectors.REP_ORDERINGS,
    )


@api.get("/reps/{rep_id}", response={200: RepOut, **ONE_ERRORS}, tags=["reps"], summary="Get a rep")
def rep_detail(request: HttpRequest, rep_id: int) -> Any:
    """Return one rep."""
    _need(request, "crm.view_rep")
    rep = selectors.rep_get(rep_id=rep_id)
    if rep is None:
        raise _not_found("Rep", rep_id)
    return rep


@api.get("/teams", response={200: TeamPage, **READ_ERRORS}, tags=["reps"], summary="List teams")
def team_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """List teams with their number of active reps."""
    _need(request, "crm.view_team")
    return paginate(request, selectors.team_list(), page, ordering=selectors.TEAM_DEFAULT_ORDERING, allowed=("name",))


@api.get("/teams/{team_id}", response={200: TeamOut, **ONE_ERRORS}, tags=["reps"], summary="Get a team")
def team_detail(request: HttpRequest, team_id: int) -> Any:
    """Return one team."""
    _need(request, "crm.view_team")
    team = selectors.team_get(team_id=team_id)
    if team is None:
        raise _not_found("Team", team_id)
    return team
