"""Review: which accounts changed zone between two snapshots, the from × to migration and its cells.

Across a criteria change the moves list tells movement from re-classification (:func:`selectors.criteria_shift`).
Default span: the latest snapshot against the latest one at or before the previous month-end.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kokyaku.crm.selectors import rep_choices
from kokyaku.domain.portfolio import ZONES
from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.selectors.shift import ShiftList
from kokyaku.portfolio.views.common import account_url_template, currency, int_param, no_snapshot, page_param


def _pick(snapshots: list[Snapshot], value: str | None) -> Snapshot | None:
    wanted = int_param(value)
    if wanted is None:
        return None
    return next((s for s in snapshots if s.pk == wanted), None) or selectors.snapshot_get(wanted)


def _default_before(snapshots: list[Snapshot], after: Snapshot) -> Snapshot | None:
    """The latest snapshot as of the month-end before ``after``'s month; else the one just before ``after``."""
    month_end = after.as_of.replace(day=1) - timedelta(days=1)
    earlier = [s for s in snapshots if s.as_of <= month_end]  # newest first
    return earlier[0] if earlier else selectors.snapshot_previous(after)


def _refusal(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """Why a backward (or empty) comparison is refused, and the link to the forward one."""
    if before.pk == after.pk:
        return {"same_snapshot": True, "fix_query": urlencode({"after": after.pk}) if selectors.snapshot_previous(after) else ""}
    return {"backwards": True, "fix_query": urlencode({"before": after.pk, "after": before.pk})}


def _moves(request: HttpRequest, before: Snapshot, after: Snapshot, direction: str | None, owner: int | None) -> dict[str, Any]:
    """The moves list: across a criteria change, real movement (or ``?list=reclassified``) apart from re-classification."""
    shown: ShiftList = "reclassified" if request.GET.get("list") == "reclassified" else "moved"
    shift = selectors.criteria_shift(before, after, owner_id=owner, shown=shown, page=page_param(request))
    if shift is not None:
        return {"shift": shift, "moves": shift.rows}
    return {"moves": selectors.zone_moves(after, previous=before, direction=direction, owner_id=owner, page=page_param(request))}


def _comparison(
    request: HttpRequest, before: Snapshot, after: Snapshot, direction: str | None, owner: int | None
) -> dict[str, Any]:
    """The moves, the migration table and flows, and the accounts of the cell asked for (``from``, ``to``)."""
    migration = selectors.zone_migration(before, after)
    base = {"before": before.pk, "after": after.pk}
    context: dict[str, Any] = {
        **_moves(request, before, after, direction, owner),
        "owner_query": urlencode({**base, "owner": owner}) if owner else urlencode(base),
        "migration_rows": presenters.migration_rows(migration, base),
        "flows": presenters.sankey_flows(migration),
        "base_query": urlencode(base),
    }
    valid = {*ZONES, "none"}
    cell_from, cell_to = request.GET.get("from"), request.GET.get("to")
    if cell_from in valid and cell_to in valid:
        f, t = ("" if z == "none" else str(z) for z in (cell_from, cell_to))
        page = selectors.zone_migration_accounts(before, after, from_zone=f, to_zone=t, page=page_param(request, "cell_page"))
        context["cell"] = {"from": f, "to": t, "page": page}
    return context


@login_required
def review(request: HttpRequest) -> HttpResponse:
    snapshots = selectors.snapshot_list(limit=100)
    if not snapshots:
        return no_snapshot(request, _("Review"))
    # Default: the latest as-of and the one before it in time, whatever order they were computed in.
    after = _pick(snapshots, request.GET.get("after")) or snapshots[0]
    before = _pick(snapshots, request.GET.get("before")) or _default_before(snapshots, after)
    direction = request.GET.get("direction") if request.GET.get("direction") in ("up", "down") else None
    # The rep filter is a search box (GET /portfolio/owners/?q=): only the chosen rep is looked up,
    # not one option per rep (15,000 at a million accounts).
    owner = int_param(request.GET.get("owner"))
    chosen = rep_choices(ids=[owner]) if owner is not None else []
    owner, owner_name = (chosen[0][0], chosen[0][1]) if chosen else (None, "")
    context: dict[str, Any] = {
        "snapshots": snapshots, "after": after, "before": before, "direction": direction, "currency": currency(),
        "zones": selectors.ZONE_LABELS, "account_url": account_url_template(), "owner": owner, "owner_name": owner_name,
        "snapshot": after,  # the stale-data notice: changes after the later snapshot
    }  # fmt: skip
    if before is not None and not selectors.snapshot_is_before(before, after):
        # A review runs forward in time: refuse the backward (or empty) comparison, keep the picks, offer the right one.
        return render(request, "portfolio/review.html", {**context, **_refusal(before, after)}, status=400)
    if before is not None:
        context.update(_comparison(request, before, after, direction, owner))
    return render(request, "portfolio/review.html", context)
