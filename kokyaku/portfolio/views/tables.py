"""The accounts tables: all accounts (filtered, e.g. one matrix cell) and my portfolio."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from kokyaku.crm.permissions import rep_of
from kokyaku.crm.selectors import rep_choices
from kokyaku.portfolio import selectors
from kokyaku.portfolio.forms import TableFilterForm
from kokyaku.portfolio.views.common import PER_PAGE, currency, no_snapshot, snapshot_asked


def _table(request: HttpRequest, *, mine: bool) -> HttpResponse:
    title = _("My portfolio") if mine else _("Accounts")
    snapshot = snapshot_asked(request)
    if snapshot is None:
        return no_snapshot(request, title)
    rep = rep_of(request.user)
    if mine and rep is None:
        return render(request, "portfolio/no_rep.html", {"title": title})
    form = TableFilterForm(request.GET, owners=[] if mine else rep_choices())
    kwargs = {**form.selector_kwargs(), **({"owner_id": rep.pk} if mine and rep else {})}
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "title": title, "mine": mine, "snapshot": snapshot, "form": form, "sort": kwargs["sort"], "params": params,
        "page": selectors.portfolio_table(snapshot, per_page=PER_PAGE, **kwargs),
        "currency": currency(), "base_url": request.path,
        "matrix": selectors.team_matrix(snapshot, owner_id=rep.pk) if mine and rep else None,
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
