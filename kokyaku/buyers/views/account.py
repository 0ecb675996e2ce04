"""An account's buyer page: the checklist and type, the suggestion with its reasons, key persons and their map, objections."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.buyers import selectors, services
from kokyaku.buyers.forms import ChecklistForm, KeyPersonForm, ObjectionForm, TypeForm
from kokyaku.buyers.selectors import AccountBuyers
from kokyaku.crm.permissions import allowed, refusal


def _data(account_id: int) -> AccountBuyers:
    data = selectors.account_buyers(account_id)
    if data is None:
        raise Http404(_("No such account."))
    return data


def _page(request: HttpRequest, account_id: int, status: int = 200, **forms: Any) -> HttpResponse:
    data = _data(account_id)
    owner = data.account.owner_id
    context = {
        "d": data,
        "account": data.account,
        "can_type": allowed(request.user, "buyer_type_update", owner_id=owner),
        "can_persons": allowed(request.user, "key_person_update", owner_id=owner),
        "can_objections": allowed(request.user, "objection_update", owner_id=owner),
        "checklist_form": forms.get("checklist_form")
        or ChecklistForm(initial={"traits": [t.code for t in data.traits if t.ticked]}),
        "person_form": forms.get("person_form") or KeyPersonForm(),
        "objection_form": forms.get("objection_form") or ObjectionForm(deals=selectors.account_deals(account_id)),
        "stances": ["opponent", "neutral", "supporter"],
    }
    return render(request, "buyers/account.html", context, status=status)


def _allowed_or_403(request: HttpRequest, write: str, owner_id: int | None) -> None:
    reason = refusal(request.user, write, owner_id=owner_id)
    if reason is not None:
        raise PermissionDenied(str(reason))


@login_required
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    return _page(request, account_id)


@login_required
@require_POST
def checklist(request: HttpRequest, account_id: int) -> HttpResponse:
    """Save the ticks; with ``confirm``, also set the type they score to (the rep confirms it)."""
    data = _data(account_id)
    _allowed_or_403(request, "buyer_type_update", data.account.owner_id)
    form = ChecklistForm(request.POST)
    if not form.is_valid():
        return _page(request, account_id, status=400, checklist_form=form)
    score = services.checklist_save(actor=request.user, account=data.account, traits=form.cleaned_data["traits"])
    kind = str(score.buyer_type[0])
    if "confirm" in request.POST and kind != "unknown":
        services.buyer_type_set(
            actor=request.user, account=data.account, buyer_type=kind, source="checklist", confidence=float(score.confidence[0])
        )
        messages.success(request, _("Checklist saved and buyer type confirmed."))
    else:
        messages.success(request, _("Checklist saved."))
    return redirect("buyers:account", account_id=account_id)


@login_required
@require_POST
def buyer_type(request: HttpRequest, account_id: int) -> HttpResponse:
    """Set the type by hand (an override of the checklist and the suggestion)."""
    data = _data(account_id)
    _allowed_or_403(request, "buyer_type_update", data.account.owner_id)
    form = TypeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a buyer type."))
        return redirect("buyers:account", account_id=account_id)
    services.buyer_type_set(
        actor=request.user, account=data.account, buyer_type=form.cleaned_data["buyer_type"],
        source=form.cleaned_data["source"], confidence=form.cleaned_data["confidence"],
    )  # fmt: skip
    messages.success(request, _("Buyer type set."))
    return redirect("buyers:account", account_id=account_id)


@login_required
@require_POST
def suggestion(request: HttpRequest, account_id: int) -> HttpResponse:
    """Accept or dismiss the account's suggestion."""
    found = selectors.suggestion_of(account_id)
    if found is None:
        raise Http404(_("This account has no suggestion."))
    _allowed_or_403(request, "buyer_type_update", found.account.owner_id)
    accept = request.POST.get("decision") == "accept"
    services.suggestion_decide(actor=request.user, suggestion=found, accept=accept)
    messages.success(request, _("Suggestion accepted.") if accept else _("Suggestion dismissed."))
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)  # a path only: a bare word would be taken for a view name (issue 15)
    return redirect("buyers:account", account_id=account_id)


@login_required
@require_POST
def key_person(request: HttpRequest, account_id: int, person_id: int | None = None) -> HttpResponse:
    """Add a key person, change one, or (``delete``) remove one."""
    data = _data(account_id)
    _allowed_or_403(request, "key_person_update", data.account.owner_id)
    person = None
    if person_id is not None:
        person = selectors.key_person_of(account_id, person_id)
        if person is None:
            raise Http404(_("No such key person."))
        if "delete" in request.POST:
            services.key_person_delete(actor=request.user, person=person)
            messages.success(request, _("Key person removed."))
            return redirect("buyers:account", account_id=account_id)
    form = KeyPersonForm(request.POST, instance=person)
    if form.is_valid():
        try:
            services.key_person_save(actor=request.user, account=data.account, values=form.cleaned_data, person=person)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Key person saved."))
            return redirect("buyers:account", account_id=account_id)
    return _page(request, account_id, status=400, person_form=form)


@login_required
@require_POST
def objection(request: HttpRequest, account_id: int, objection_id: int | None = None) -> HttpResponse:
    """Log an objection on the account, or (``delete``) remove one."""
    data = _data(account_id)
    _allowed_or_403(request, "objection_update", data.account.owner_id)
    if objection_id is not None:
        found = selectors.objection_of(account_id, objection_id)
        if found is None:
            raise Http404(_("No such objection."))
        services.objection_delete(actor=request.user, objection=found)
        messages.success(request, _("Objection removed."))
        return redirect("buyers:account", account_id=account_id)
    deals = selectors.account_deals(account_id)
    form = ObjectionForm(request.POST, deals=deals)
    if form.is_valid():
        values = dict(form.cleaned_data)
        deal_id = values.pop("deal")
        values["deal"] = next((d for d in deals if d.pk == deal_id), None)
        try:
            services.objection_save(actor=request.user, account=data.account, values=values)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Objection logged."))
            return redirect("buyers:account", account_id=account_id)
    return _page(request, account_id, status=400, objection_form=form)
