"""The home page's follow-up panels (the web app renders them): a rep's follow-ups due and stale deals; the manager's queue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from kokyaku.crm.permissions import rep_of
from kokyaku.followups import selectors
from kokyaku.users.roles import is_manager

HOME_STALE = 5
HOME_QUEUE = 10  # the reps with the most overdue follow-ups; the queue page lists them all


def home_followups(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    rep = rep_of(request.user)
    out: dict[str, Any] = {"rep": rep}
    if rep is not None:
        out["due"] = selectors.followups_due(assignee_id=rep.pk, today=today)
        out["stale"] = selectors.stale_deal_list(today=today, owner_id=rep.pk, limit=HOME_STALE)
    if is_manager(request.user):
        out["queue"] = selectors.queue_by_rep(today=today, limit=HOME_QUEUE)
    return out
