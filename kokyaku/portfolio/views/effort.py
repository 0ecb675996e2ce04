"""Effort vs return: where the team's time goes and where its won revenue comes from, per zone and per rep."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.forms import DateRangeForm
from kokyaku.portfolio.selectors.rows import Page
from kokyaku.portfolio.views.common import currency, no_snapshot, page_param, snapshot_asked

REPS_PER_PAGE = 50


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
    # One line per rep, a page of them at a time: a sales organisation of 15,000 reps is not one
    # table, and only the page's reps are summed (the team's sums are stored with the snapshot).
    tables = selectors.effort_tables(
        snapshot, start=start, end=end, page=page_param(request, "reps_page"), per_page=REPS_PER_PAGE, company=code
    )
    team, reps = tables.team, presenters.effort_reps(tables.per_rep, tables.reps)
    context = {
        "snapshot": snapshot, "form": form, "start": start, "end": end, "team_rows": team,
        "rep_rows": reps, "reps": Page(reps, tables.reps_total, tables.page, tables.per_page),
        "params": request.GET,
        "totals": presenters.effort_totals(team), "chart": presenters.effort_chart(team, code),
        "zones": selectors.ZONE_LABELS, "currency": code,
    }  # fmt: skip
    return render(request, "portfolio/effort.html", context)
