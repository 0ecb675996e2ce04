"""Plans (managers): the list and making one; a plan's review (moves per rep, fit beside the baselines), exclusions, applying."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kokyaku.assignment import selectors, services
from kokyaku.assignment.models import Plan
from kokyaku.jobs.services import JobBusy, job_enqueue
from kokyaku.users.decorators import manager_required


def _int(value: str | None) -> int | None:
    """A query parameter as an id; None when missing, not a number, or beyond what a database id holds (issue 15)."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number is None or 0 < number < 2**63 else None


@manager_required
@require_http_methods(["GET", "POST"])
def plans(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":  # a background job: answer at once with its progress page, which links the plan
        try:
            job = job_enqueue(actor=request.user, kind="assignment_plan")
        except JobBusy as exc:
            messages.error(request, exc.message)
            return redirect("jobs:detail", job_id=exc.running.pk)
        return redirect("jobs:detail", job_id=job.pk)
    context = {"plans": selectors.plans_recent(), "current": selectors.policy_current()}
    return render(request, "assignment/plans.html", context)


@manager_required
def plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    found = get_object_or_404(Plan.objects.select_related("created_by", "applied_by", "policy_version"), pk=plan_id)
    review = selectors.plan_review(found, rep_id=_int(request.GET.get("rep")))
    return render(request, "assignment/plan.html", {"review": review})


@manager_required
@require_POST
def plan_exclude(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Exclude (``exclude=1``) or include back (``exclude=0``) the moves ticked on the page."""
    found = get_object_or_404(Plan, pk=plan_id)
    ids = [i for i in (_int(v) for v in request.POST.getlist("move")) if i is not None]
    if not ids:
        messages.error(request, _("Tick the moves to exclude or include first."))
    else:
        try:
            changed = services.plan_moves_exclude(
                actor=request.user, plan=found, move_ids=ids, excluded=request.POST.get("exclude") != "0"
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s moves changed.") % {"n": changed})
    rep = _int(request.POST.get("rep"))
    return redirect(reverse("assignment:plan", args=[found.pk]) + (f"?rep={rep}" if rep else ""))


@manager_required
@require_POST
def plan_apply(request: HttpRequest, plan_id: int) -> HttpResponse:
    found = Plan.objects.filter(pk=plan_id).first()
    if found is None:
        raise Http404(_("No such plan."))
    try:
        moved = services.assignment_apply(actor=request.user, plan=found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Plan %(id)s applied: %(n)s accounts have a new owner, each with a hand-over.") % {"id": found.pk, "n": moved},
        )
    return redirect("assignment:plan", plan_id=found.pk)
