"""Editing an account or a deal where it is read: the forms of the account page, saved by the crm services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kokyaku.crm import services as crm_services
from kokyaku.crm.models import Account, Deal
from kokyaku.crm.permissions import allowed, refusal
from kokyaku.crm.selectors import account_get, deal_get, lost_reason_list, rep_choices
from kokyaku.portfolio.record_forms import AccountEditForm, DealEditForm, RecordForm

R = TypeVar("R", Account, Deal)


def _owners(request: HttpRequest, write: str) -> list[tuple[int, str]] | None:
    """The reps an owner may be changed to, or None when this login may not change owners."""
    return rep_choices() if allowed(request.user, write) else None


def _editable(request: HttpRequest, record: R | None, write: str, missing: str) -> R:
    """The record when it exists (else 404) and this login may make ``write`` on it (else 403 with the rule's reason)."""
    if record is None:
        raise Http404(missing)
    reason = refusal(request.user, write, owner_id=record.owner_id)
    if reason is not None:
        raise PermissionDenied(str(reason))
    return record


def _save(
    request: HttpRequest, form: RecordForm, save: Callable[[dict[str, Any]], None], *, account_id: int, title: str
) -> HttpResponse:
    """Validate ``form`` and apply its changes with ``save`` (a crm service bound to the record); render it again on an error."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.changes())
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Changes saved.") if form.changed_data else _("Nothing was changed."))
            return redirect("portfolio:account", account_id=account_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "portfolio/record_edit.html", {"form": form, "title": title, "account_id": account_id}, status=status)


@login_required
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    """Edit an account: its owner (managers), buyer type and the facts a rep keeps; rights as in the API."""
    account = _editable(request, account_get(account_id=account_id), "account_update", _("No such account."))
    data = request.POST if request.method == "POST" else None
    form = AccountEditForm.of(account, owners=_owners(request, "account_reassign"), data=data)

    def save(changes: dict[str, Any]) -> None:
        crm_services.account_update(actor=request.user, account=account, changes=changes)

    title = _("Edit %(name)s") % {"name": account.name}
    return _save(request, form, save, account_id=account.pk, title=title)


@login_required
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Edit a deal: stage, status, amount, probability, dates, lost reason, and its owner (managers)."""
    deal = _editable(request, deal_get(deal_id=deal_id), "deal_update", _("No such deal."))
    data = request.POST if request.method == "POST" else None
    form = DealEditForm.of(deal, owners=_owners(request, "deal_reassign"), reasons=lost_reason_list(), data=data)

    def save(changes: dict[str, Any]) -> None:
        crm_services.deal_update(actor=request.user, deal=deal, changes=changes)

    title = _("Edit %(name)s") % {"name": str(deal)}
    return _save(request, form, save, account_id=deal.account_id, title=title)
