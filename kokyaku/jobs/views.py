"""The jobs pages (managers): the list, one job's progress (polled by HTMX), start / cancel / retry."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kokyaku.jobs import selectors, services
from kokyaku.jobs.models import Job
from kokyaku.users.decorators import manager_required

STARTABLE = ("snapshot", "train", "import_source")  # the kinds a button starts with no parameters


@manager_required
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/list.html", {"jobs": selectors.job_lists(), "import_source": bool(settings.IMPORT_SOURCE)})


@manager_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.job_get(job_id)
    if job is None:
        raise Http404
    template = "jobs/_progress.html" if request.headers.get("HX-Request") else "jobs/detail.html"
    return render(request, template, {"job": job})


@manager_required
@require_POST
def job_start(request: HttpRequest, kind: str) -> HttpResponse:
    """Queue a snapshot, a training run or the scheduled import now, and answer at once with its progress page."""
    if kind not in STARTABLE or (kind == "import_source" and not settings.IMPORT_SOURCE):
        raise Http404
    try:
        job = services.job_enqueue(actor=request.user, kind=kind)
    except services.JobBusy as exc:
        messages.error(request, exc.message)
        return redirect("jobs:detail", job_id=exc.running.pk)
    return redirect("jobs:detail", job_id=job.pk)


@manager_required
@require_POST
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    get_object_or_404(Job, pk=job_id)  # an unknown id is a 404, not the service's DoesNotExist (issue 15)
    try:
        services.job_cancel(actor=request.user, job_id=job_id)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("jobs:detail", job_id=job_id)


@manager_required
@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    get_object_or_404(Job, pk=job_id)  # an unknown id is a 404, not the service's DoesNotExist (issue 15)
    try:
        job = services.job_retry(actor=request.user, job_id=job_id)
    except services.JobBusy as exc:
        messages.error(request, exc.message)
        return redirect("jobs:detail", job_id=exc.running.pk)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("jobs:detail", job_id=job_id)
    return redirect("jobs:detail", job_id=job.pk)
