"""Buyers routes: an account's checklist, type and suggestion; key persons; the objection log; type counts.

Mounted by ``kokyaku/api/urls.py``. Reads are open to every role (the team shares them); writes go
through :mod:`kokyaku.buyers.services`, which check ``crm/permissions.py`` (a rep: own accounts).

(No ``from __future__ import annotations``: ninja's ``paginate`` resolves annotations in its module.)
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kokyaku.buyers import selectors, services
from kokyaku.buyers.labels import TYPE_ORDER
from kokyaku.buyers.models import KeyPerson, Objection
from kokyaku.buyers.schemas import (
    AccountBuyersOut,
    ChecklistIn,
    KeyPersonFilters,
    KeyPersonIn,
    KeyPersonOut,
    KeyPersonPage,
    KeyPersonPatch,
    ObjectionIn,
    ObjectionOut,
    ObjectionPage,
    ObjectionQuery,
    SuggestionDecisionIn,
    TypeCountsOut,
    TypeCountsRow,
    TypeIn,
)
from kokyaku.buyers.selectors import AccountBuyers, CountRow, ObjectionFilter
from kokyaku.crm.selectors import account_get
from kokyaku.lib.api import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kokyaku.lib.pagination import KeysetPagination

router = Router(tags=["buyers"])


def _need(request: HttpRequest) -> None:
    if not request.user.has_perm("crm.view_account"):
        raise PermissionDenied(_("Your role does not allow reading these records."))


def _buyers(account_id: int) -> AccountBuyers:
    data = selectors.account_buyers(account_id)
    if data is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Account"), "id": account_id})
    return data


def _account_out(d: AccountBuyers) -> dict[str, Any]:
    s, x = d.suggestion, d.decision
    return {
        "account_id": d.account.pk, "buyer_type": d.account.buyer_type, "traits": [t.code for t in d.traits if t.ticked],
        "checklist_type": d.checklist_type, "checklist_confidence": d.checklist_confidence,
        "decision": None if x is None else {
            "buyer_type": x.buyer_type, "previous": x.previous, "source": x.source, "confidence": x.confidence,
            "set_by": x.set_by.username if x.set_by else None, "set_at": x.set_at,
        },
        "suggestion": None if s is None else {
            "buyer_type": s.buyer_type, "score": s.score, "method": s.method, "status": s.status, "reasons": s.reasons,
            "computed_at": s.computed_at,
        },
        "gaps": d.gaps.__dict__,
    }  # fmt: skip


@router.get("/buyers/accounts/{account_id}", response={200: AccountBuyersOut, **ONE_ERRORS}, summary="An account's buyer type")
def account_buyers(request: HttpRequest, account_id: int) -> Any:
    """The checklist, the type and who set it, the behaviour suggestion with its reasons, and the key-person gaps."""
    _need(request)
    return _account_out(_buyers(account_id))


@router.put(
    "/buyers/accounts/{account_id}/checklist", response={200: AccountBuyersOut, **WRITE_ERRORS}, summary="Save the checklist"
)
def checklist_put(request: HttpRequest, account_id: int, body: ChecklistIn) -> Any:
    """Replace the ticked traits; with ``confirm``, set the type they score to (when they score to one)."""
    _need(request)
    account = _buyers(account_id).account
    score = services.checklist_save(actor=request.user, account=account, traits=body.traits)
    if body.confirm and score.buyer_type[0] != "unknown":
        services.buyer_type_set(
            actor=request.user, account=account, buyer_type=str(score.buyer_type[0]), source="checklist",
            confidence=float(score.confidence[0]),
        )  # fmt: skip
    return _account_out(_buyers(account_id))


@router.post(
    "/buyers/accounts/{account_id}/type", response={200: AccountBuyersOut, **WRITE_ERRORS}, summary="Set the type by hand"
)
def type_set(request: HttpRequest, account_id: int, body: TypeIn) -> Any:
    _need(request)
    services.buyer_type_set(
        actor=request.user, account=_buyers(account_id).account, buyer_type=body.buyer_type, source="override"
    )
    return _account_out(_buyers(account_id))


@router.post(
    "/buyers/accounts/{account_id}/suggestion",
    response={200: AccountBuyersOut, **WRITE_ERRORS},
    summary="Accept or dismiss the suggestion",
)
def suggestion_decide(request: HttpRequest, account_id: int, body: SuggestionDecisionIn) -> Any:
    _need(request)
    found = selectors.suggestion_of(account_id)
    if found is None:
        raise HttpError(404, _("This account has no suggestion."))
    services.suggestion_decide(actor=request.user, suggestion=found, accept=body.accept)
    return _account_out(_buyers(account_id))


# -- key persons ----------------------------------------------------------------------------------


@router.get("/buyers/key-persons", response={200: KeyPersonPage, **READ_ERRORS}, summary="List key persons")
@paginate(KeysetPagination, orderings=("id", "name", "influence"), default="id")
def key_person_list(request: HttpRequest, filters: Query[KeyPersonFilters]) -> QuerySet[KeyPerson]:
    _need(request)
    return filters.filter(KeyPerson.objects.all())


@router.post("/buyers/key-persons", response={201: KeyPersonOut, **WRITE_ERRORS}, summary="Add a key person")
def key_person_add(request: HttpRequest, body: KeyPersonIn) -> Any:
    _need(request)
    values = body.dict()
    account = account_get(account_id=values.pop("account_id"))
    if account is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Account"), "id": body.account_id})
    return Status(201, services.key_person_save(actor=request.user, account=account, values=values))


def _person(person_id: int) -> KeyPerson:
    person = KeyPerson.objects.select_related("account").filter(pk=person_id).first()
    if person is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Key person"), "id": person_id})
    return person


@router.patch("/buyers/key-persons/{person_id}", response={200: KeyPersonOut, **WRITE_ERRORS}, summary="Change a key person")
def key_person_patch(request: HttpRequest, person_id: int, body: KeyPersonPatch) -> Any:
    _need(request)
    person = _person(person_id)
    return services.key_person_save(
        actor=request.user, account=person.account, values=body.dict(exclude_unset=True), person=person
    )


@router.delete("/buyers/key-persons/{person_id}", response={204: None, **WRITE_ERRORS}, summary="Remove a key person")
def key_person_remove(request: HttpRequest, person_id: int) -> Any:
    _need(request)
    services.key_person_delete(actor=request.user, person=_person(person_id))
    return Status(204, None)


# -- objections -----------------------------------------------------------------------------------


@router.get("/buyers/objections", response={200: ObjectionPage, **READ_ERRORS}, summary="Search the objection log")
@paginate(KeysetPagination, orderings=("date", "id"), default="-date")
def objection_list(request: HttpRequest, filters: Query[ObjectionQuery]) -> QuerySet[Objection]:
    _need(request)
    f = filters
    return selectors.objection_search(
        ObjectionFilter(q=f.q, buyer_type=f.buyer_type or "", tag=f.tag, product=f.product, start=f.start, end=f.end)
    ).order_by()


@router.post("/buyers/objections", response={201: ObjectionOut, **WRITE_ERRORS}, summary="Log an objection")
def objection_add(request: HttpRequest, body: ObjectionIn) -> Any:
    _need(request)
    values = body.dict()
    account = account_get(account_id=values.pop("account_id"))
    if account is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Account"), "id": body.account_id})
    return Status(201, services.objection_save(actor=request.user, account=account, values=values))


@router.delete("/buyers/objections/{objection_id}", response={204: None, **WRITE_ERRORS}, summary="Remove an objection")
def objection_remove(request: HttpRequest, objection_id: int) -> Any:
    _need(request)
    found = Objection.objects.select_related("account").filter(pk=objection_id).first()
    if found is None:
        raise HttpError(404, _("%(kind)s %(id)s not found.") % {"kind": _("Objection"), "id": objection_id})
    services.objection_delete(actor=request.user, objection=found)
    return Status(204, None)


# -- counts ---------------------------------------------------------------------------------------


def _rows(rows: list[CountRow]) -> list[TypeCountsRow]:
    return [TypeCountsRow(label=r.label, counts=dict(zip(TYPE_ORDER, r.counts, strict=True)), total=r.total) for r in rows]


@router.get("/buyers/counts", response={200: TypeCountsOut, **READ_ERRORS}, summary="Accounts per buyer type")
def type_counts(request: HttpRequest) -> Any:
    """Accounts per type: per zone of the latest snapshot, per rep today, and per snapshot (the trend)."""
    _need(request)
    t = selectors.team_types()
    return TypeCountsOut(
        snapshot_as_of=t.snapshot.as_of if t.snapshot else None,
        by_zone=_rows(t.by_zone),
        by_rep=_rows(t.by_rep),
        trend=_rows(t.trend),
    )
