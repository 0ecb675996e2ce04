"""The assignment policy (managers): weights and rules as a new version, and each rep's tier and capacities."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kokyaku.assignment import selectors, services
from kokyaku.assignment.forms import PolicyForm
from kokyaku.users.decorators import manager_required


def _page(request: HttpRequest, form: PolicyForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "current": selectors.policy_current(), "versions": selectors.policy_history()}
    return render(request, "assignment/policy.html", context, status=status)


@manager_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    reps = selectors.rep_settings()
    if request.method != "POST":
        return _page(request, PolicyForm(initial=PolicyForm.initial_from(selectors.policy_in_force(), reps), reps=reps))
    form = PolicyForm(request.POST, reps=reps)
    if form.is_valid():
        try:
            saved = services.policy_save(
                actor=request.user, policy=form.policy_dict(), reps=form.rep_changes(),
                value_capacities=form.value_capacities(), note=form.cleaned_data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Assignment policy version %(id)s saved. The next plan uses it.") % {"id": saved.pk})
            return redirect("assignment:policy")
    return _page(request, form, status=400)
