"""The team's buyer types: counts per zone and rep, the trend, suggestions to confirm, and how good the suggestion is."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.buyers import selectors, services
from kokyaku.buyers.labels import TYPE_ORDER
from kokyaku.crm.permissions import allowed, refusal, rep_of
from kokyaku.domain.buyer_types.learned import MIN_PER_TYPE
from kokyaku.users.roles import is_manager


@login_required
def team(request: HttpRequest) -> HttpResponse:
    rep = None if is_manager(request.user) else rep_of(request.user)
    context = {
        "types": selectors.team_types(),
        "type_order": TYPE_ORDER,
        "to_confirm": list(selectors.suggestions_to_confirm(rep=rep)[:50]),
        "measure": selectors.suggestion_measurement(),
        "min_per_type": MIN_PER_TYPE,
        "agreement": selectors.agreement_counts(),
        "computed_at": selectors.latest_computed(),
        "can_compute": allowed(request.user, "buyer_suggestions_compute"),
    }
    return render(request, "buyers/team.html", context)


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    reason = refusal(request.user, "buyer_suggestions_compute")
    if reason is not None:
        raise PermissionDenied(str(reason))
    result = services.suggestions_compute(actor=request.user)
    messages.success(
        request,
        _("Suggestions computed (%(method)s): %(suggested)s accounts given a type, %(open)s to confirm.")
        % {"method": result.method, "suggested": result.suggested, "open": result.to_confirm},
    )
    return redirect("buyers:team")
