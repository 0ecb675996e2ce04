"""The team portfolio: zone counts, the 3×3 matrix, the scatter and the per-rep breakdown."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kokyaku.crm.selectors import rep_choices
from kokyaku.domain.portfolio import BANDS
from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.views.common import account_url_template, currency, int_param, no_snapshot, page_param, snapshot_asked
from kokyaku.users.roles import is_manager

SCATTER_POINTS = 2000  # enough to see the shape; the page stays light at a million accounts


def charts(snapshot: Snapshot, *, owner_id: int | None, cells_url: str) -> dict[str, Any]:
    """The matrix, its heatmap rows and the scatter of the team (or of one rep's accounts): the team page and My portfolio."""
    matrix = selectors.team_matrix(snapshot, owner_id=owner_id)
    scatter = selectors.scatter_points(snapshot, zoned=matrix.zoned, max_points=SCATTER_POINTS, owner_id=owner_id)
    code = currency()
    cutoffs = presenters.band_cutoffs(snapshot.thresholds, code, notes=(snapshot.notes or {}).get("bands"))
    return {
        "matrix": matrix,
        "matrix_rows": presenters.matrix_rows(snapshot.pk, matrix, cells_url, owner_id=owner_id, cutoffs=cutoffs["price"]),
        "cutoffs": cutoffs,
        "bands": BANDS,
        "scatter": presenters.scatter_chart(scatter, code),
        "scatter_info": scatter,
        "account_url": account_url_template(),
        "currency": code,
        "currency_note": presenters.currency_note(snapshot.notes),
    }


@login_required
def team(request: HttpRequest) -> HttpResponse:
    snapshots = selectors.snapshot_list(limit=30)
    # The latest is the list's first: no query of its own (the rep picker costs one).
    snapshot = snapshots[0] if snapshots and request.GET.get("snapshot", "latest") == "latest" else snapshot_asked(request)
    if snapshot is None:
        return no_snapshot(request, _("Team portfolio"))
    # The rep picker is a search box: only the rep asked for is looked up, not one option per rep.
    wanted = int_param(request.GET.get("rep"))
    chosen = rep_choices(ids=[wanted]) if wanted is not None else []
    rep = chosen[0] if chosen else None  # a manager (or anyone) looking at one rep
    context = {
        "snapshot": snapshot,
        "snapshots": snapshots,
        **charts(snapshot, owner_id=rep[0] if rep else None, cells_url=reverse("portfolio:accounts")),
        "rep": rep,
        "reps": None if rep else selectors.rep_breakdown_page(snapshot, page=page_param(request, "reps_page")),
        "params": request.GET,
        "is_manager": is_manager(request.user),
        "band_notes": presenters.unusual_band_notes((snapshot.notes or {}).get("bands", {})),
    }
    return render(request, "portfolio/team.html", context)
