"""The follow-up queue: a rep's own tasks, a manager's queue per rep; complete, cancel, reassign."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.crm.permissions import allowed, rep_of
from kokyaku.followups import selectors, services
from kokyaku.followups.forms import CancelForm, CompleteForm, ReassignForm
from kokyaku.followups.models import FollowUp
from kokyaku.lib.refusals import refusal_text
from kokyaku.portfolio.views.common import int_param, page_param, safe_next
from kokyaku.users.roles import is_manager

PER_PAGE = 50  # each open row carries its own forms (outcome, note, reassign to any rep): 200 made 685 KB of HTML


def _reps_choices() -> list[tuple[int, str]]:
    return [(r.pk, r.name) for r in selectors.assignable_reps()]


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """``?rep=ID`` (managers: any rep; a rep sees their own), ``?status=open|done|cancelled|all``."""
    today = timezone.localdate()
    manager = is_manager(request.user)
    me = rep_of(request.user)
    rep_id = int_param(request.GET.get("rep")) if manager else (me.pk if me else None)
    status = request.GET.get("status") or FollowUp.Status.OPEN
    if status not in (*FollowUp.Status.values, "all"):
        status = FollowUp.Status.OPEN
    if not manager and me is None:
        raise PermissionDenied(_("Your login is not linked to a rep, so you have no follow-ups."))
    qs = selectors.followup_list(assignee_id=rep_id, status=None if status == "all" else status)
    total = qs.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(page_param(request), pages)
    items = selectors.followup_items(qs, today=today, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    query = f"rep={rep_id}&status={status}" if rep_id is not None and manager else f"status={status}"
    context = {
        "items": items,
        "page": {"page": page, "pages": pages, "total": total},
        "query": query,
        "status": status,
        "statuses": [*FollowUp.Status.choices, ("all", _("All"))],
        "rep_id": rep_id,
        "is_manager": manager,
        "queue": selectors.queue_by_rep(today=today) if manager else None,
        "months": selectors.reactivations_by_month() if manager else None,
        "complete_form": CompleteForm(),
        "reassign_form": ReassignForm(reps=_reps_choices()) if manager else None,
        "can_close": {i.id for i in items if allowed(request.user, "followup_complete", owner_id=i.assignee_id)},
    }
    return render(request, "followups/queue.html", context)


def _get(followup_id: int) -> FollowUp:
    found = selectors.followup_get(followup_id)
    if found is None:
        raise Http404(_("No such follow-up."))
    return found


def _done(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(safe_next(request, reverse("followups:queue")))


def _refused(request: HttpRequest, exc: ValidationError | PermissionDenied) -> HttpResponse:
    messages.error(request, refusal_text(exc))
    return redirect(safe_next(request, reverse("followups:queue")))


@login_required
@require_POST
def complete(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(followup_id)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        return _refused(request, ValidationError(_("Choose an outcome.")))
    try:
        services.followup_complete(actor=request.user, followup=followup, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc)
    return _done(request, _("Follow-up of %(account)s done.") % {"account": followup.account.name})


@login_required
@require_POST
def cancel(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(followup_id)
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        services.followup_cancel(actor=request.user, followup=followup, note=form.cleaned_data.get("note", ""))
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc)
    return _done(request, _("Follow-up of %(account)s cancelled.") % {"account": followup.account.name})


@login_required
@require_POST
def reassign(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = _get(followup_id)
    form = ReassignForm(request.POST, reps=_reps_choices())
    if not form.is_valid():
        return _refused(request, ValidationError(_("Choose an active rep.")))
    try:
        services.followup_reassign(
            actor=request.user, followup=followup, assignee_id=form.cleaned_data["assignee"], due_on=form.cleaned_data["due_on"]
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc)
    return _done(request, _("Follow-up of %(account)s reassigned.") % {"account": followup.account.name})
