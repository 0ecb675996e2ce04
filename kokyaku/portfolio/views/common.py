"""What every portfolio page needs: the snapshot asked for, the page without one, the company currency."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kokyaku.crm.selectors import company_settings
from kokyaku.portfolio import selectors
from kokyaku.portfolio.models import Snapshot
from kokyaku.users.roles import is_manager

PER_PAGE = 50


def int_param(value: Any, default: int | None = None) -> int | None:
    """A query parameter as an int; ``default`` when missing, not a number, or beyond a 32-bit integer.

    The bound keeps ``?rep=99999999999999999999999`` or a page number that size away from the
    database, which refuses integers that large (issue 15).
    """
    try:
        number = int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default
    return number if number is None or abs(number) <= INT_BOUND else default


def page_param(request: HttpRequest, name: str = "page") -> int:
    return int_param(request.GET.get(name), 1) or 1


def snapshot_asked(request: HttpRequest) -> Snapshot | None:
    """The snapshot a page shows: ``?snapshot=ID``, else the latest (404 for an unknown id)."""
    wanted = request.GET.get("snapshot")
    if wanted and wanted != "latest":
        snapshot_id = int_param(wanted)
        snapshot = selectors.snapshot_get(snapshot_id) if snapshot_id else None
        if snapshot is None:
            raise Http404(_("No such snapshot."))
        return snapshot
    return selectors.snapshot_latest()


def no_snapshot(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "portfolio/no_snapshot.html", {"title": title, "is_manager": is_manager(request.user)})


def currency() -> str:
    """The company currency (ISO 4217): every amount on the portfolio pages is in it."""
    return company_settings().currency


INT_BOUND = 2**31 - 1


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` URL of a form when it is a path on this site, else ``fallback``.

    Only a path (``/...``): a bare word such as ``9999-12-31`` would be taken by ``redirect()`` for a
    view name and fail (issue 15); ``//host`` and ``https://other/`` are refused as elsewhere.
    """
    nxt = request.POST.get("next") or ""
    if nxt.startswith("/") and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return fallback


def account_url_template() -> str:
    """The account page URL with ``0`` standing for the id, for charts that link to accounts."""
    return reverse("portfolio:account", args=[0])
