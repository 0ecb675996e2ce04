"""The team portfolio: zone counts, the 3×3 matrix, the scatter and the per-rep breakdown."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kokyaku.domain.portfolio import BANDS
from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.views.common import account_url_template, currency, no_snapshot, page_param, snapshot_asked
from kokyaku.users.roles import is_manager

SCATTER_POINTS = 2000  # enough to see the shape; the page stays light at a million accounts


@login_required
def team(request: HttpRequest) -> HttpResponse:
    snapshot = snapshot_asked(request)
    if snapshot is None:
        return no_snapshot(request, _("Team portfolio"))
    matrix = selectors.team_matrix(snapshot)
    scatter = selectors.scatter_points(snapshot, zoned=matrix.zoned, max_points=SCATTER_POINTS)
    code = currency()
    context = {
        "snapshot": snapshot,
        "snapshots": selectors.snapshot_list(limit=30),
        "matrix": matrix,
        "matrix_rows": presenters.matrix_rows(snapshot.pk, matrix, reverse("portfolio:accounts")),
        "bands": BANDS,
        "scatter": presenters.scatter_chart(scatter, code),
        "scatter_info": scatter,
        "reps": selectors.rep_breakdown_page(snapshot, page=page_param(request, "reps_page")),
        "params": request.GET,
        "account_url": account_url_template(),
        "currency": code,
        "is_manager": is_manager(request.user),
        "band_notes": presenters.unusual_band_notes((snapshot.notes or {}).get("bands", {})),
    }
    return render(request, "portfolio/team.html", context)
