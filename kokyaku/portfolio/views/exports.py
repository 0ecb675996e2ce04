"""Downloads of every portfolio table (``?fmt=xlsx|csv&encoding=utf-8-sig|cp932`` plus the page's own filters).

Each view reads the same query parameters as its page and hands the table to
:mod:`kokyaku.portfolio.export`, which writes it (in the reader's language) to a temporary file
on disk that the response streams: memory stays flat whatever the size of the portfolio.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kokyaku.crm.selectors import company_settings
from kokyaku.jobs.selectors import job_get
from kokyaku.jobs.services import JobBusy, job_enqueue
from kokyaku.lib.tabular import ENCODINGS
from kokyaku.portfolio import export, export_jobs, selectors
from kokyaku.portfolio.forms import DateRangeForm
from kokyaku.portfolio.periods import period_of, period_parse
from kokyaku.portfolio.views.common import int_param, snapshot_asked
from kokyaku.users.roles import is_manager


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
    snapshot = snapshot_asked(request)
    if not mine and snapshot is not None and is_manager(request.user) and export_jobs.is_large(snapshot):
        return _enqueue(request)

    def build() -> export.Export | None:
        return None if snapshot is None else export_jobs.accounts_export_for(request.user, request.GET, snapshot, mine=mine)

    return _download(request, page, build)


def _enqueue(request: HttpRequest) -> HttpResponseBase:
    """A big snapshot's accounts: a background job writes the file; its page links the download."""
    params = {
        "query": request.GET.urlencode(),
        "fmt": request.GET.get("fmt") or "xlsx",
        "encoding": request.GET.get("encoding") or "utf-8-sig",
        "language": get_language(),
    }
    if params["fmt"] not in export.FORMATS or params["encoding"] not in ENCODINGS:
        messages.error(request, _("Choose a download format: XLSX, or CSV in UTF-8 or Shift_JIS (cp932)."))
        return redirect("portfolio:accounts")
    try:
        job = job_enqueue(actor=request.user, kind="export_accounts", params=params)
    except JobBusy as exc:
        messages.error(request, exc.message)
        return redirect("jobs:detail", job_id=exc.running.pk)
    return redirect("jobs:detail", job_id=job.pk)


@login_required
def download(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The file an export job wrote, for the manager who started it."""
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers can download a background export."))
    job = job_get(job_id)
    if job is None or job.kind != "export_accounts" or job.state != "done" or job.started_by != request.user.get_username():
        raise Http404(_("No such export."))
    path = export_jobs.export_path(job.result)
    if path is None:
        raise Http404(_("This export is no longer kept: download it again."))
    fmt = str(job.result.get("fmt", "xlsx"))
    encoding = str(job.params.get("encoding") or "utf-8-sig")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=str(job.result.get("name") or path.name),
        content_type=export.content_type(fmt, encoding),
    )


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
