"""Departures (離反) on the account page: the recorded ones, recording one, withdrawing one.

A departure is what the customer said (never inferred from silence): the owner or a manager records
the day it leaves and why, and the next snapshot calls the account "churned" (no follow-up is made
for it). A record entered by mistake is withdrawn, not deleted, so the history stays.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.crm.models import Account
from kokyaku.crm.permissions import allowed
from kokyaku.crm.selectors import account_get
from kokyaku.crm.services import churn_record, churn_withdraw
from kokyaku.followups import selectors
from kokyaku.followups.forms import DepartureForm
from kokyaku.lib.refusals import refusal_text


def _account(account_id: int) -> Account:
    account = account_get(account_id=account_id)
    if account is None:
        raise Http404(_("No such account."))
    return account


def _back(account_id: int) -> HttpResponse:
    return redirect("portfolio:account", account_id=account_id)


@login_required
def departures(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account page's panel (loaded by HTMX): its departures, newest first, and the form for its owner or a manager."""
    account = _account(account_id)
    can_record = allowed(request.user, "churn_record", owner_id=account.owner_id)
    form = DepartureForm(initial={"churned_on": timezone.localdate()}) if can_record else None
    context = {"account": account, "departures": selectors.churn_list(account_id=account_id), "form": form,
               "can_withdraw": allowed(request.user, "churn_withdraw", owner_id=account.owner_id)}  # fmt: skip
    return render(request, "followups/_departures.html", context)


@login_required
@require_POST
def record(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(account_id)
    form = DepartureForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()
        )
        messages.error(request, _("The departure was not recorded. %(problems)s") % {"problems": problems})
        return _back(account_id)
    try:
        churn_record(actor=request.user, account=account, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
        return _back(account_id)
    messages.success(
        request,
        _("Departure of %(account)s recorded: the next snapshot calls it churned and makes no follow-up for it.")
        % {"account": account.name},
    )
    return _back(account_id)


@login_required
@require_POST
def withdraw(request: HttpRequest, churn_id: int) -> HttpResponse:
    churn = selectors.churn_get(churn_id)
    if churn is None:
        raise Http404(_("No such departure."))
    try:
        churn_withdraw(actor=request.user, churn=churn)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_text(exc))
        return _back(churn.account_id)
    messages.success(request, _("Departure of %(account)s withdrawn (kept in its history).") % {"account": churn.account.name})
    return _back(churn.account_id)
