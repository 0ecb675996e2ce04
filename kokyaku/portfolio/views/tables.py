"""The accounts tables: all accounts (filtered, e.g. one matrix cell) and my portfolio."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from kokyaku.crm.permissions import rep_of
from kokyaku.crm.selectors import rep_choices, rep_search
from kokyaku.portfolio import selectors
from kokyaku.portfolio.forms import TableFilterForm
from kokyaku.portfolio.views.common import PER_PAGE, currency, int_param, no_snapshot, snapshot_asked
from kokyaku.portfolio.views.team import charts


def _table(request: HttpRequest, *, mine: bool) -> HttpResponse:
    title = _("My portfolio") if mine else _("Accounts")
    snapshot = snapshot_asked(request)
    if snapshot is None:
        return no_snapshot(request, title)
    rep = rep_of(request.user)
    if mine and rep is None:
        return render(request, "portfolio/no_rep.html", {"title": title})
    # The owner filter is a search box (see :func:`owners`): only the chosen owner is a valid choice
    # to render, not one option per rep (15,000 at a million accounts).
    asked = int_param(request.GET.get("owner"))
    owners = [] if mine or asked is None else rep_choices(ids=[asked])
    form = TableFilterForm(request.GET, owners=owners)
    kwargs = {**form.selector_kwargs(), **({"owner_id": rep.pk} if mine and rep else {})}
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "title": title, "mine": mine, "snapshot": snapshot, "form": form, "sort": kwargs["sort"], "params": params,
        "page": selectors.portfolio_table(snapshot, per_page=PER_PAGE, **kwargs),
        "currency": currency(), "base_url": request.path, "owner_name": owners[0][1] if owners else "",
        **(charts(snapshot, owner_id=rep.pk, cells_url=request.path) if mine and rep else {"matrix": None}),
        "added": selectors.accounts_added_since(snapshot, owner_id=kwargs["owner_id"], search=kwargs["search"]),
    }  # fmt: skip
    template = "portfolio/_table.html" if getattr(request, "htmx", False) else "portfolio/table.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a fragment to HTMX, a page otherwise
    return response


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    return _table(request, mine=False)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return _table(request, mine=True)


@login_required
def owners(request: HttpRequest) -> JsonResponse:
    """The accounts page's owner search box: up to 20 active reps whose name contains ``q``, as JSON."""
    query = (request.GET.get("q") or "").replace("\x00", "")[:100]  # PostgreSQL text cannot hold NUL
    return JsonResponse({"results": [{"id": i, "name": n} for i, n in rep_search(query)] if query.strip() else []})
