"""Job routes: queue a job, follow it, list, cancel, retry (mounted by ``kokyaku/api/urls.py``); managers only."""

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from kokyaku.jobs import selectors, services
from kokyaku.jobs.selectors import JobRecord
from kokyaku.lib.api import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS
from kokyaku.users.roles import is_manager

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    state: str
    progress: int
    step: str
    started_by: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    result: dict[str, Any]
    error: str
    params: dict[str, Any]


class JobIn(Schema):
    kind: Literal["snapshot", "import", "train"]
    params: dict[str, Any] = {}


class JobsOut(Schema):
    running: list[JobOut]
    recent: list[JobOut]
    failed: list[JobOut]


def _manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers can do this."))


def _one(job_id: int) -> JobRecord:
    job = selectors.job_get(job_id)
    if job is None:
        raise HttpError(404, _("Job %(id)s not found.") % {"id": job_id})
    return job


@router.get("/jobs", response={200: JobsOut, **READ_ERRORS})
def jobs(request: HttpRequest) -> selectors.JobLists:
    """Queued and running jobs, the latest ended ones, the latest failed ones with their reason."""
    _manager(request)
    return selectors.job_lists()


@router.get("/jobs/{job_id}", response={200: JobOut, **ONE_ERRORS})
def job(request: HttpRequest, job_id: int) -> JobRecord:
    """One job: state, progress 0-100 with its step, result or reason. Poll it while it runs."""
    _manager(request)
    return _one(job_id)


@router.post("/jobs", response={202: JobOut, **WRITE_ERRORS})
def job_start(request: HttpRequest, payload: JobIn) -> Status[JobRecord]:
    """Queue a job; 400 with a clear message while one of the same kind is queued or running."""
    params = {**payload.params, "source": "api"} if payload.kind == "import" else payload.params
    created = services.job_enqueue(actor=request.user, kind=payload.kind, params=params)
    return Status(202, _one(created.pk))


@router.post("/jobs/{job_id}/cancel", response={200: JobOut, **WRITE_ERRORS})
def job_cancel(request: HttpRequest, job_id: int) -> JobRecord:
    _one(job_id)
    services.job_cancel(actor=request.user, job_id=job_id)
    return _one(job_id)


@router.post("/jobs/{job_id}/retry", response={202: JobOut, **WRITE_ERRORS})
def job_retry(request: HttpRequest, job_id: int) -> Status[JobRecord]:
    _one(job_id)
    created = services.job_retry(actor=request.user, job_id=job_id)
    return Status(202, _one(created.pk))
