"""Downloads of every portfolio table (``?fmt=xlsx|csv&encoding=utf-8-sig|cp932`` plus the page's own filters).

Each view reads the same query parameters as its page and hands the table to
:mod:`kokyaku.portfolio.export`, which writes it (in the reader's language) to a temporary file
on disk that the response streams: memory stays flat whatever the size of the portfolio.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.crm.permissions import rep_of
from kokyaku.crm.selectors import company_settings
from kokyaku.lib.tabular import ENCODINGS
from kokyaku.portfolio import export, selectors
from kokyaku.portfolio.forms import DateRangeForm, TableFilterForm
from kokyaku.portfolio.periods import period_of, period_parse
from kokyaku.portfolio.views.common import int_param, snapshot_asked


def _download(request: HttpRequest, page: str, build: Callable[[], export.Export | None]) -> HttpResponseBase:
    """Write the export asked for and stream it, or go back to ``page`` (same query) saying why not."""
    fmt = request.GET.get("fmt") or "xlsx"
    encoding = request.GET.get("encoding") or "utf-8-sig"
    params = request.GET.copy()
    for key in ("fmt", "encoding"):
        params.pop(key, None)
    back = f"{reverse(page)}?{params.urlencode()}" if params else reverse(page)
    if fmt not in export.FORMATS or encoding not in ENCODINGS:
        messages.error(request, _("Choose a download format: XLSX, or CSV in UTF-8 or Shift_JIS (cp932)."))
        return redirect(back)
    what = build()
    if what is None:
        messages.error(request, _("There is nothing to download yet: compute a snapshot first."))
        return redirect(back)
    try:
        fh, _count = export.spooled(what, fmt=fmt, encoding=encoding)
    except export.ExportError as exc:
        messages.error(request, _("The download could not be written: %(why)s") % {"why": exc})
        return redirect(back)
    name = export.filename(what, fmt)
    return FileResponse(fh, as_attachment=True, filename=name, content_type=export.content_type(fmt, encoding))


def _accounts(request: HttpRequest, *, mine: bool) -> HttpResponseBase:
    page = "portfolio:mine" if mine else "portfolio:accounts"

    def build() -> export.Export | None:
        snapshot = snapshot_asked(request)
        rep = rep_of(request.user)
        if snapshot is None or (mine and rep is None):
            return None
        # The owner filter is validated against the one rep asked for, not a list of every rep.
        owner = int_param(request.GET.get("owner"))
        owners = [] if mine or owner is None else [(owner, "")]
        kwargs = TableFilterForm(request.GET, owners=owners).selector_kwargs()
        filters = {k: v for k, v in kwargs.items() if k not in ("sort", "page")}
        if mine and rep is not None:
            filters["owner_id"] = rep.pk
        return export.accounts_export(snapshot, filters=filters, mine=mine)

    return _download(request, page, build)


@login_required
def accounts(request: HttpRequest) -> HttpResponseBase:
    return _accounts(request, mine=False)


@login_required
def mine(request: HttpRequest) -> HttpResponseBase:
    return _accounts(request, mine=True)


@login_required
def team(request: HttpRequest) -> HttpResponseBase:
    def build() -> export.Export | None:
        snapshot = snapshot_asked(request)
        return None if snapshot is None else export.team_export(snapshot)

    return _download(request, "portfolio:team", build)


@login_required
def review(request: HttpRequest) -> HttpResponseBase:
    def build() -> export.Export | None:
        after_id = int_param(request.GET.get("after"))
        after = selectors.snapshot_get(after_id) if after_id else selectors.snapshot_latest()
        before_id = int_param(request.GET.get("before"))
        before = selectors.snapshot_get(before_id) if before_id else (after and selectors.snapshot_previous(after))
        if after is None or before is None or not selectors.snapshot_is_before(before, after):
            return None
        direction = request.GET.get("direction") if request.GET.get("direction") in ("up", "down") else None
        owner = int_param(request.GET.get("owner"))  # one rep's moves, when the page is filtered by rep
        return export.review_export(before, after, direction=direction, owner_id=owner)

    return _download(request, "portfolio:review", build)


@login_required
def effort(request: HttpRequest) -> HttpResponseBase:
    def build() -> export.Export | None:
        snapshot = snapshot_asked(request)
        if snapshot is None:
            return None
        start, end = DateRangeForm.default_range(timezone.localdate())
        form = DateRangeForm(request.GET if "start" in request.GET else None)
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        return export.effort_export(snapshot, start=start, end=end)

    return _download(request, "portfolio:effort", build)


@login_required
def targets(request: HttpRequest) -> HttpResponseBase:
    def build() -> export.Export:
        start_month = company_settings().fiscal_year_start_month
        try:
            period = period_parse(request.GET.get("period") or "", start_month=start_month)
        except ValueError:
            period = period_of(timezone.localdate(), kind="month", start_month=start_month)
        data = selectors.targets_view(start=period.start, end=period.end, accounts_per_rep=0)
        return export.targets_export(data, period_key=period.key, start=period.start, end=period.end)

    return _download(request, "portfolio:targets", build)
