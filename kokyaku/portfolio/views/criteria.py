"""Criteria (managers): the current version as a form, the cut-offs it gives, a live preview of a change."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import BANDS
from kokyaku.lib.refusals import domain_text
from kokyaku.portfolio import presenters, selectors, services
from kokyaku.portfolio.forms import CriteriaForm, error_lines
from kokyaku.portfolio.models import Criteria
from kokyaku.portfolio.views.common import currency
from kokyaku.users.decorators import manager_required


def _baseline() -> dict[str, Any]:
    current = selectors.criteria_current()
    return current.as_params() if current else Criteria().as_params()


def _page(request: HttpRequest, form: CriteriaForm, baseline: dict[str, Any], status: int = 200) -> HttpResponse:
    snapshot = selectors.snapshot_latest()
    cutoffs = None
    if snapshot is not None:
        spec = Criteria(**baseline).to_spec()
        cutoffs = presenters.cutoff_cells(spec, services.criteria_cutoffs_kept(spec, snapshot=snapshot), currency())
    context = {
        "form": form, "grid_rows": [{"band": p, "fields": [form[f"grid_{p}_{q}"] for q in BANDS]} for p in BANDS],
        "bands": BANDS, "versions": selectors.criteria_history(limit=20), "current": selectors.criteria_current(),
        "snapshot": snapshot, "cutoffs": cutoffs,
    }  # fmt: skip
    return render(request, "portfolio/criteria.html", context, status=status)


@manager_required
@require_http_methods(["GET", "POST"])
def criteria(request: HttpRequest) -> HttpResponse:
    baseline = _baseline()
    if request.method != "POST":
        return _page(request, CriteriaForm(initial=CriteriaForm.initial_from(baseline), baseline=baseline), baseline)
    form = CriteriaForm(request.POST, baseline=baseline)
    if form.is_valid():
        try:
            saved = services.criteria_create(actor=request.user, **form.criteria_params())
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            saved_message = _("Criteria version %(id)s saved. The next snapshot uses it; compute one now to see the new zones.")
            messages.success(request, saved_message % {"id": saved.pk})
            return redirect("portfolio:criteria")
    return _page(request, form, baseline, status=400)


@manager_required
@require_POST
def criteria_preview(request: HttpRequest) -> HttpResponse:
    """HTMX: how many accounts of the latest snapshot the edited criteria would move."""
    form = CriteriaForm(request.POST, baseline=_baseline())
    context: dict[str, Any] = {"errors": error_lines(form), "rows": None}
    if not context["errors"]:
        params = {k: v for k, v in form.criteria_params().items() if k != "note"}
        try:
            spec = Criteria(**params).to_spec()
        except (DomainError, TypeError, ValueError) as exc:
            context["errors"] = [domain_text(exc)]
        else:
            preview = selectors.criteria_preview(spec)
            context.update(presenters.preview_context(preview, spec, currency()) if preview else {"no_snapshot": True})
    return render(request, "portfolio/_criteria_preview.html", context)


@login_required
def criteria_read(request: HttpRequest) -> HttpResponse:
    """The criteria in use, read-only (for reps; managers edit them on the criteria page): cut-offs, grid, look-back."""
    snapshot = selectors.snapshot_latest()
    current = selectors.criteria_current() or Criteria(**_baseline())
    criteria = snapshot.criteria if snapshot else current
    context = {
        "snapshot": snapshot, "criteria": criteria, "bands": BANDS,
        "cutoffs": presenters.band_cutoffs(snapshot.thresholds if snapshot else None, currency()),
        "grid_rows": [{"band": p, "zones": [criteria.grid[p][q] for q in BANDS]} for p in BANDS],
        "newer": current.pk is not None and current.pk != criteria.pk,
    }  # fmt: skip
    return render(request, "portfolio/criteria_read.html", context)
