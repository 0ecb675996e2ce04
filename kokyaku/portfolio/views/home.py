"""The home page's portfolio panels: a rep's day, or a manager's view of the team (the web app renders them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from kokyaku.crm.permissions import rep_of
from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.periods import Period, period_of
from kokyaku.portfolio.views.targets import targets_of
from kokyaku.users.roles import is_manager

HOME_GAPS = 10  # the largest gaps on a manager's home; the targets page lists every rep


def _team_panels(snapshot: Snapshot, month: Period, money: dict[str, Any]) -> dict[str, Any]:
    """The manager's panels: the matrix, the largest gaps this month, and what moved since the snapshot before."""
    matrix = selectors.team_matrix(snapshot)
    # Only the largest gaps become records (10 of up to 15,000 reps); the counts cover every rep.
    team = targets_of(month, accounts_per_rep=0, largest_gaps=HOME_GAPS, **money)
    out: dict[str, Any] = {
        "matrix": matrix,
        "matrix_rows": presenters.matrix_rows(snapshot.pk, matrix, reverse("portfolio:accounts")),
        "targets": {"reps": team.reps, "behind": team.team.reps_behind, "reps_total": team.reps_total, "mid_pct": team.mid_pct},
    }
    previous = selectors.snapshot_previous(snapshot)
    if previous is not None:
        out["previous"] = previous
        up, down = selectors.zone_move_counts(snapshot, previous)  # one pass for both totals
        out["moves_up"] = selectors.zone_moves(snapshot, previous=previous, direction="up", per_page=5, total=up)
        out["moves_down"] = selectors.zone_moves(snapshot, previous=previous, direction="down", per_page=5, total=down)
    return out


def home_panels(request: HttpRequest) -> dict[str, Any]:
    """What the home page shows from the portfolio: a rep's day, or a manager's team view (or both)."""
    snapshot = selectors.snapshot_latest()
    rep = rep_of(request.user)
    out: dict[str, Any] = {"snapshot": snapshot, "is_manager": is_manager(request.user), "rep": rep}
    if snapshot is None:
        return out
    company, today = company_settings(), timezone.localdate()
    month = period_of(today, kind="month", start_month=company.fiscal_year_start_month)
    out.update({"currency": company.currency, "month": month})
    money: dict[str, Any] = {"currency": company.currency, "rates": conversion_rates()}  # read once for both panels
    if out["is_manager"]:
        out.update(_team_panels(snapshot, month, money))
    if rep is not None:
        out["focus"] = selectors.rep_focus(snapshot, rep_id=rep.pk, today=today)
        mine = targets_of(month, rep_ids=[rep.pk], accounts_per_rep=5, **money)
        out["my_target"] = mine.reps[0] if mine.reps else None
    return out
