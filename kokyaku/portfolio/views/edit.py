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
from kokyaku.crm.conflicts import EditConflict
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
    request: HttpRequest,
    form: RecordForm,
    save: Callable[[dict[str, Any], int | None], None],
    *,
    fresh: Callable[[], RecordForm],
    account_id: int,
    title: str,
) -> HttpResponse:
    """Validate ``form`` and apply its changes with ``save`` (a crm service bound to the record); render it again on an error.

    When someone saved the record after this form was read (an :class:`EditConflict`), nothing is saved and
    the page answers 409: the form again with the current values (``fresh``) and the new version, who changed
    it and when, and what the reader had typed beside what is saved now, so that nothing typed is lost.
    """
    context: dict[str, Any] = {"title": title, "account_id": account_id}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            save(form.changes(), form.cleaned_data.get("version"))
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        except EditConflict as exc:
            current = fresh()
            context.update(conflict=exc.message(), yours=form.differences(current))
            form, status = current, 409
        else:
            saved = [name for name in form.changed_data if name != "version"]
            messages.success(request, _("Changes saved.") if saved else _("Nothing was changed."))
            return redirect("portfolio:account", account_id=account_id)
    if request.method == "POST" and status == 200:
        status = 400
    return render(request, "portfolio/record_edit.html", {**context, "form": form}, status=status)


@login_required
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    """Edit an account: its owner (managers), buyer type and the facts a rep keeps; rights as in the API."""
    account = _editable(request, account_get(account_id=account_id), "account_update", _("No such account."))
    data = request.POST if request.method == "POST" else None
    form = AccountEditForm.of(account, owners=_owners(request, "account_reassign"), data=data)

    def save(changes: dict[str, Any], version: int | None) -> None:
        crm_services.account_update(actor=request.user, account=account, changes=changes, version=version)

    def fresh() -> RecordForm:
        return AccountEditForm.of(account, owners=_owners(request, "account_reassign"))

    title = _("Edit %(name)s") % {"name": account.name}
    return _save(request, form, save, fresh=fresh, account_id=account.pk, title=title)


@login_required
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Edit a deal: stage, status, amount, probability, dates, lost reason, and its owner (managers)."""
    deal = _editable(request, deal_get(deal_id=deal_id), "deal_update", _("No such deal."))
    data = request.POST if request.method == "POST" else None
    form = DealEditForm.of(deal, owners=_owners(request, "deal_reassign"), reasons=lost_reason_list(), data=data)

    def save(changes: dict[str, Any], version: int | None) -> None:
        crm_services.deal_update(actor=request.user, deal=deal, changes=changes, version=version)

    def fresh() -> RecordForm:
        return DealEditForm.of(deal, owners=_owners(request, "deal_reassign"), reasons=lost_reason_list())

    title = _("Edit %(name)s") % {"name": str(deal)}
    return _save(request, form, save, fresh=fresh, account_id=deal.account_id, title=title)
