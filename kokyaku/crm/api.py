"""CRM routes: accounts, deals, activities, reps and teams (mounted by ``kokyaku/api/urls.py``).

Endpoints stay thin: check the read permission, call one selector or service, return the schema.
Lists filter through ninja's ``FilterSchema`` and page through :class:`KeysetPagination`; writes
and their ownership rules live in :mod:`kokyaku.crm.services` and :mod:`kokyaku.crm.permissions`.

(No ``from __future__ import annotations`` here: ninja's ``paginate`` wrapper resolves the
endpoints' annotations in its own module, so they must be real types.)
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kokyaku.crm import selectors, services
from kokyaku.crm.conflicts import EditConflict, parse_version
from kokyaku.crm.models import Account, Activity, Deal, Rep, Team
from kokyaku.crm.schemas import (
    AccountConflictOut,
    AccountFilters,
    AccountOut,
    AccountPage,
    AccountPatch,
    ActivityFilters,
    ActivityIn,
    ActivityOut,
    ActivityPage,
    DealConflictOut,
    DealFilters,
    DealOut,
    DealPage,
    DealPatch,
    RepFilters,
    RepOut,
    RepPage,
    TeamOut,
    TeamPage,
)
from kokyaku.lib.api import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kokyaku.lib.pagination import KeysetPagination

router = Router()


def _need(request: HttpRequest, perm: str) -> None:
    """Refuse (403) a login whose role does not include ``perm``."""
    if not request.user.has_perm(perm):
        raise PermissionDenied(_("Your role does not allow reading these records."))


def _found(kind: str, pk: int, record: Any) -> Any:
    """Return ``record``, or answer 404 naming what was asked for."""
    if record is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": kind, "id": pk})
    return record


def _one(request: HttpRequest, perm: str, kind: str, pk: int, get: Callable[[], Any]) -> Any:
    """One record for a login whose role may read it: 403 without ``perm``, 404 when ``get`` finds nothing."""
    _need(request, perm)
    return _found(kind, pk, get())


@router.get("/accounts", response={200: AccountPage, **READ_ERRORS}, tags=["accounts"], summary="List accounts")
@paginate(KeysetPagination, orderings=selectors.ACCOUNT_ORDERINGS, default=selectors.ACCOUNT_DEFAULT_ORDERING)
def account_list(request: HttpRequest, filters: Query[AccountFilters]) -> QuerySet[Account]:
    """List accounts, filtered and ordered; every role sees the whole portfolio."""
    _need(request, "crm.view_account")
    return selectors.account_list(where=filters.get_filter_expression())


@router.get("/accounts/{account_id}", response={200: AccountOut, **ONE_ERRORS}, tags=["accounts"], summary="Get an account")
def account_detail(request: HttpRequest, account_id: int) -> Any:
    """Return one account."""
    return _one(request, "crm.view_account", _("Account"), account_id, lambda: selectors.account_get(account_id=account_id))


def _version(request: HttpRequest, body: AccountPatch | DealPatch) -> tuple[dict[str, Any], int | None]:
    """The changes of a PATCH body, and the version it started from: its ``version`` field, else ``If-Match``."""
    changes = body.dict(exclude_unset=True)
    version = changes.pop("version", None)
    return changes, version if version is not None else parse_version(request.headers.get("If-Match"))


def _conflict(exc: EditConflict, current: Any) -> Status[dict[str, Any]]:
    body = {"detail": exc.message(), "version": exc.current, "changed_by": exc.changed_by, "changed_at": exc.changed_at}
    return Status(409, {**body, "current": current})


@router.patch(
    "/accounts/{account_id}",
    response={200: AccountOut, **WRITE_ERRORS, 409: AccountConflictOut},
    tags=["accounts"],
    summary="Update an account",
)
def account_patch(request: HttpRequest, account_id: int, body: AccountPatch) -> Any:
    """Change an account: a rep only their own accounts; the owner only by a manager.

    Send the ``version`` you read (or ``If-Match: "<version>"``): when someone changed the account since,
    the answer is 409 with who and when and the current account, and nothing is saved.
    """
    _need(request, "crm.view_account")
    changes, version = _version(request, body)
    account = _found(_("Account"), account_id, selectors.account_get(account_id=account_id))
    try:
        services.account_update(actor=request.user, account=account, changes=changes, version=version)
    except EditConflict as exc:
        return _conflict(exc, selectors.account_get(account_id=account_id))
    return selectors.account_get(account_id=account_id)


@router.get("/deals", response={200: DealPage, **READ_ERRORS}, tags=["deals"], summary="List deals")
@paginate(KeysetPagination, orderings=selectors.DEAL_ORDERINGS, default=selectors.DEAL_DEFAULT_ORDERING)
def deal_list(request: HttpRequest, filters: Query[DealFilters]) -> QuerySet[Deal]:
    """List deals, filtered by status, account, owner, dates and amount."""
    _need(request, "crm.view_deal")
    if filters.min_amount is not None and filters.max_amount is not None and filters.min_amount > filters.max_amount:
        bounds = {"min": filters.min_amount, "max": filters.max_amount}
        raise HttpError(400, _("min_amount (%(min)s) is greater than max_amount (%(max)s).") % bounds)
    return selectors.deal_list(where=filters.get_filter_expression())


@router.get("/deals/{deal_id}", response={200: DealOut, **ONE_ERRORS}, tags=["deals"], summary="Get a deal")
def deal_detail(request: HttpRequest, deal_id: int) -> Any:
    """Return one deal."""
    return _one(request, "crm.view_deal", _("Deal"), deal_id, lambda: selectors.deal_get(deal_id=deal_id))


@router.patch(
    "/deals/{deal_id}", response={200: DealOut, **WRITE_ERRORS, 409: DealConflictOut}, tags=["deals"], summary="Update a deal"
)
def deal_patch(request: HttpRequest, deal_id: int, body: DealPatch) -> Any:
    """Change a deal: a rep only deals they own; the owner only by a manager.

    ``version`` / ``If-Match`` as for accounts: 409 with the current deal when it changed since.
    """
    _need(request, "crm.view_deal")
    changes, version = _version(request, body)
    deal = _found(_("Deal"), deal_id, selectors.deal_get(deal_id=deal_id))
    try:
        services.deal_update(actor=request.user, deal=deal, changes=changes, version=version)
    except EditConflict as exc:
        return _conflict(exc, selectors.deal_get(deal_id=deal_id))
    return selectors.deal_get(deal_id=deal_id)


@router.get("/activities", response={200: ActivityPage, **READ_ERRORS}, tags=["activities"], summary="List activities")
@paginate(KeysetPagination, orderings=selectors.ACTIVITY_ORDERINGS, default=selectors.ACTIVITY_DEFAULT_ORDERING)
def activity_list(request: HttpRequest, filters: Query[ActivityFilters]) -> QuerySet[Activity]:
    """List activities, filtered by account, rep, kind and time window [since, until)."""
    _need(request, "crm.view_activity")
    return selectors.activity_list(where=filters.get_filter_expression())


@router.get(
    "/activities/{activity_id}", response={200: ActivityOut, **ONE_ERRORS}, tags=["activities"], summary="Get an activity"
)
def activity_detail(request: HttpRequest, activity_id: int) -> Any:
    """Return one activity."""
    return _one(request, "crm.view_activity", _("Activity"), activity_id, lambda: selectors.activity_get(activity_id=activity_id))


def _exists(field: str, pk: int | None, record: Any) -> Any:
    """Return ``record``; a 400 naming the field when an id was given and nothing has it."""
    if pk is not None and record is None:
        raise ValidationError(_("%(field)s: %(field)s %(id)s does not exist.") % {"field": field, "id": pk})
    return record


@router.post("/activities", response={201: ActivityOut, **WRITE_ERRORS}, tags=["activities"], summary="Log an activity")
def activity_post(request: HttpRequest, body: ActivityIn) -> Any:
    """Log an activity: a rep their own, on their own accounts; a manager for anyone on any account."""
    _need(request, "crm.view_activity")
    account = _exists("account", body.account, selectors.account_get(account_id=body.account))
    deal = _exists("deal", body.deal, selectors.deal_get(deal_id=body.deal) if body.deal is not None else None)
    rep = _exists("rep", body.rep, selectors.rep_get(rep_id=body.rep) if body.rep is not None else None)
    activity = services.activity_create(
        actor=request.user,
        account=account,
        kind=body.kind,
        occurred_at=body.occurred_at or timezone.now(),
        minutes=body.minutes,
        note=body.note,
        deal=deal,
        rep=rep,
    )
    return Status(201, selectors.activity_get(activity_id=activity.pk))


@router.get("/reps", response={200: RepPage, **READ_ERRORS}, tags=["reps"], summary="List reps")
@paginate(KeysetPagination, orderings=selectors.REP_ORDERINGS, default=selectors.REP_DEFAULT_ORDERING)
def rep_list(request: HttpRequest, filters: Query[RepFilters]) -> QuerySet[Rep]:
    """List reps, filtered by team, tier and active."""
    _need(request, "crm.view_rep")
    return selectors.rep_list(where=filters.get_filter_expression())


@router.get("/reps/{rep_id}", response={200: RepOut, **ONE_ERRORS}, tags=["reps"], summary="Get a rep")
def rep_detail(request: HttpRequest, rep_id: int) -> Any:
    """Return one rep."""
    return _one(request, "crm.view_rep", _("Rep"), rep_id, lambda: selectors.rep_get(rep_id=rep_id))


@router.get("/teams", response={200: TeamPage, **READ_ERRORS}, tags=["reps"], summary="List teams")
@paginate(KeysetPagination, orderings=("name",), default=selectors.TEAM_DEFAULT_ORDERING)
def team_list(request: HttpRequest) -> QuerySet[Team]:
    """List teams with their number of active reps."""
    _need(request, "crm.view_team")
    return selectors.team_list()


@router.get("/teams/{team_id}", response={200: TeamOut, **ONE_ERRORS}, tags=["reps"], summary="Get a team")
def team_detail(request: HttpRequest, team_id: int) -> Any:
    """Return one team."""
    return _one(request, "crm.view_team", _("Team"), team_id, lambda: selectors.team_get(team_id=team_id))
