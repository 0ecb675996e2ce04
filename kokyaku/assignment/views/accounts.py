"""One account's assignment: release it (its strong owner), withdraw the release, pin or unpin it (managers); hand-overs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kokyaku.assignment import selectors, services
from kokyaku.assignment.forms import ReleaseForm
from kokyaku.assignment.models import Handover
from kokyaku.crm.permissions import allowed
from kokyaku.lib.refusals import refusal_text


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    state = selectors.account_assignment(account_id)
    if state is None:
        raise Http404(_("No such account."))
    form = ReleaseForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "release" and form.is_valid():
                services.account_release(actor=request.user, account=state.account, reason=form.cleaned_data["reason"])
                messages.success(request, _("Released: it stays yours until a plan moves it."))
            elif action == "withdraw" and state.release is not None:
                services.account_release_withdraw(actor=request.user, release=state.release)
                messages.success(request, _("Release withdrawn."))
            elif action == "pin":
                services.account_pin(actor=request.user, account=state.account, note=request.POST.get("note", ""))
                messages.success(request, _("Pinned: no plan will move it."))
            elif action == "unpin":
                services.account_unpin(actor=request.user, account=state.account)
                messages.success(request, _("Unpinned."))
            if action != "release" or form.is_valid():
                return redirect("assignment:account", account_id=account_id)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, refusal_text(exc))
            return redirect("assignment:account", account_id=account_id)
    context = {
        "state": state, "form": form,
        "may_release": allowed(request.user, "account_release", owner_id=state.account.owner_id),
        "may_pin": allowed(request.user, "account_pin"),
    }  # fmt: skip
    return render(request, "assignment/account.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def handover_done(request: HttpRequest, handover_id: int) -> HttpResponse:
    handover = Handover.objects.filter(pk=handover_id).first()
    if handover is None:
        raise Http404(_("No such hand-over."))
    try:
        services.handover_done(actor=request.user, handover=handover)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("web:home")
