"""The objection log (懐疑客の声): search (Japanese too), filters, top objections this quarter, tags before losses, CSV."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.buyers import selectors, services
from kokyaku.buyers.forms import ObjectionFilterForm
from kokyaku.buyers.selectors import ObjectionFilter
from kokyaku.lib.tabular import Column, Sheet, TabularError, csv_lines

CSV_COLUMNS = ("date", "account", "rep", "product", "tags", "said", "answer")
ENCODINGS = ("utf-8-sig", "cp932")


def _filter(form: ObjectionFilterForm) -> ObjectionFilter:
    d = form.cleaned_data if form.is_valid() else {}
    return ObjectionFilter(
        q=d.get("q") or "", buyer_type=d.get("buyer_type") or "", tag=d.get("tag") or "", product=d.get("product") or "",
        start=d.get("start"), end=d.get("end"),
    )  # fmt: skip


@login_required
def objections(request: HttpRequest) -> HttpResponse:
    form = ObjectionFilterForm(request.GET or None, products=selectors.objection_products())
    f = _filter(form)
    found = selectors.objection_search(f)
    if request.GET.get("format") == "csv":
        return _csv(found, request.GET.get("encoding", "utf-8-sig"))
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    start, end = selectors.quarter_of(timezone.localdate())
    context = {
        "form": form, "page": page, "query": request.GET.urlencode(),
        "top_tags": selectors.top_objections_of(start, end, by="tag"),
        "top_said": selectors.top_objections_of(start, end, by="said", limit=5),
        "quarter": (start, end), "losses": selectors.objection_losses(),
    }  # fmt: skip
    return render(request, "buyers/objections.html", context)


def _csv(found: object, encoding: str) -> HttpResponse:
    """The objections as CSV through the shared formula-safe writer (kokyaku.lib.tabular)."""
    if encoding not in ENCODINGS:
        return HttpResponse(_("Unknown encoding: %(value)s") % {"value": encoding}, status=400, content_type="text/plain")
    rows = (
        [o.date, o.account.name, o.rep.name if o.rep else "", o.product, o.tags, o.said, o.answer]
        for o in found.iterator(chunk_size=2000)  # type: ignore[attr-defined]
    )
    sheet = Sheet("objections", [Column(c, "date" if c == "date" else "text") for c in CSV_COLUMNS], rows)
    try:
        body = b"".join(csv_lines(sheet, encoding=encoding))
    except TabularError as exc:
        message = _("This export cannot be written in Shift_JIS (cp932); export in UTF-8 instead.") + f" ({exc})"
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=f"text/csv; charset={'shift_jis' if encoding == 'cp932' else 'utf-8'}")
    response["Content-Disposition"] = 'attachment; filename="objections.csv"'
    return response


@login_required
@require_POST
def from_lost_notes(request: HttpRequest) -> HttpResponse:
    """Turn the lost deals' notes (of the accounts this login may edit) into objection entries."""
    n = services.objections_from_lost_notes(actor=request.user)
    messages.success(request, _("%(count)s lost-deal notes added to the objection log.") % {"count": n})
    return redirect("buyers:objections")
