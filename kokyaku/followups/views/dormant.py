"""The dormant list (issue 11, item 6): accounts gone quiet, with last purchase, days since, last activity, owner."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.followups import selectors
from kokyaku.followups.forms import DormantFilterForm
from kokyaku.followups.views.queue import _reps_choices
from kokyaku.portfolio.views.common import currency, no_snapshot, page_param, snapshot_asked


@login_required
def dormant(request: HttpRequest) -> HttpResponse:
    """Filters: ``lifecycle`` (dormant by default; at_risk, churned, all), ``zone``, ``owner``, ``idle`` (days quiet)."""
    title = _("Dormant accounts")
    snapshot = snapshot_asked(request)
    if snapshot is None:
        return no_snapshot(request, title)
    form = DormantFilterForm(request.GET or None, owners=_reps_choices())
    data = form.cleaned_data if form.is_valid() else {}
    page = selectors.dormant_list(
        snapshot,
        today=timezone.localdate(),
        lifecycle=data.get("lifecycle") or "dormant",
        owner_id=data.get("owner"),
        zone=data.get("zone") or None,
        idle_days=data.get("idle"),
        page=page_param(request),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": title,
        "snapshot": snapshot,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "currency": currency(),
    }
    return render(request, "followups/dormant.html", context)
