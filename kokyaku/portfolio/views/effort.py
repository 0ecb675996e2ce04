"""Effort vs return: where the team's time goes and where its won revenue comes from, per zone and per rep."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.forms import DateRangeForm
from kokyaku.portfolio.views.common import currency, no_snapshot, snapshot_asked


@login_required
def effort(request: HttpRequest) -> HttpResponse:
    snapshot = snapshot_asked(request)
    if snapshot is None:
        return no_snapshot(request, _("Effort vs return"))
    start, end = DateRangeForm.default_range(timezone.localdate())
    form = DateRangeForm(request.GET if "start" in request.GET else None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    code = currency()
    team = selectors.effort_return(snapshot, start=start, end=end)
    context = {
        "snapshot": snapshot, "form": form, "start": start, "end": end, "team_rows": team,
        "rep_rows": presenters.effort_reps(selectors.effort_return(snapshot, start=start, end=end, per_rep=True)),
        "totals": presenters.effort_totals(team), "chart": presenters.effort_chart(team, code),
        "zones": selectors.ZONE_LABELS, "currency": code,
    }  # fmt: skip
    return render(request, "portfolio/effort.html", context)
