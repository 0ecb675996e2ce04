"""Stale deals: open deals with no activity for 7 / 30 / 90 days, coloured, for their owner and the manager."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.crm.permissions import rep_of
from kokyaku.domain.followups import STALE_LEVELS
from kokyaku.followups import selectors
from kokyaku.followups.views.queue import _reps_choices
from kokyaku.portfolio.views.common import currency, int_param
from kokyaku.users.roles import is_manager


@login_required
def stale(request: HttpRequest) -> HttpResponse:
    """``?rep=ID`` (managers; a rep sees their own deals), ``?level=7|30|90`` (at least that stale)."""
    manager = is_manager(request.user)
    me = rep_of(request.user)
    if not manager and me is None:
        raise PermissionDenied(_("Your login is not linked to a rep, so you own no deals."))
    rep_id = int_param(request.GET.get("rep")) if manager else (me.pk if me else None)
    level = int_param(request.GET.get("level"), STALE_LEVELS[0])
    if level not in STALE_LEVELS:
        level = STALE_LEVELS[0]
    deals = selectors.stale_deal_list(today=timezone.localdate(), owner_id=rep_id, min_level=level)
    context = {
        "deals": deals,
        "levels": STALE_LEVELS,
        "level": level,
        "rep_id": rep_id,
        "reps": _reps_choices() if manager else None,
        "currency": currency(),
    }
    return render(request, "followups/stale.html", context)
