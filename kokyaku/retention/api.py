"""Retention route (mounted by ``kokyaku/api/urls.py``): the page's record as JSON.

Managers only, as the page. The endpoint answers with the selector's record: its dataclasses are
the response schema (pydantic reads them as they are), so the API cannot drift from the page.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from kokyaku.lib.api import READ_ERRORS, Day
from kokyaku.retention import selectors
from kokyaku.users.roles import is_manager

router = Router(tags=["retention"])


@router.get("/retention", response={200: selectors.Retention, **READ_ERRORS}, summary="Customer retention")
def retention(request: HttpRequest, as_of: Day | None = None) -> selectors.Retention:
    """The classic curve beside the company's measured one (Kaplan–Meier) and its projection (shifted-beta-geometric),
    the yearly and quarterly cohort tables, and the forecast of today's customers after 1, 2 and 3 years
    with the revenue at stake. ``model`` is "classic" when the history is too short (``reason`` says why).
    Managers only. ``as_of`` defaults to today."""
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers can do this."))
    return selectors.retention_report(as_of or timezone.localdate())
