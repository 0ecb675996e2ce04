"""Reads of the job layer: one job with its live progress, the manager's list (running, recent, failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from kokyaku.jobs.registry import KINDS, Outcome


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    progress: int
    step: str  # the step in the reader's language
    started_by: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    seconds: float | None
    result: dict[str, Any]
    error: str
    params: dict[str, Any]
    cancellable: bool
    retryable: bool
    outcome: Outcome | None = None  # a done job's result as its kind describes it

    @property
    def active(self) -> bool:
        return self.state in Job.ACTIVE


def _record(job: Job) -> JobRecord:
    spec = KINDS.get(job.kind)
    progress, step = job.progress, job.step
    here = runner.live(job.pk)  # this process runs it: fresher than the row (and the only source on SQLite)
    if here is not None and job.state == Job.State.RUNNING:
        progress, step = here.progress, here.step
    step_label = str(spec.steps.get(step, "")) if spec and step else ""
    if job.state == Job.State.DONE:
        step_label = _("done")
    elif job.state == Job.State.QUEUED:
        step_label = _("waiting for a worker")
    return JobRecord(
        id=job.pk,
        kind=job.kind,
        kind_label=str(spec.label) if spec else job.kind,
        state=job.state,
        state_label=job.get_state_display(),
        progress=progress,
        step=step_label,
        started_by=job.started_by.get_username() if job.started_by else _("the system"),
        created_at=job.created_at,
        started_at=job.started_at,
        ended_at=job.ended_at,
        seconds=job.seconds,
        result=job.result or {},
        error=job.error,
        params=job.params or {},
        cancellable=job.active and (spec is None or spec.cancellable or job.state == Job.State.QUEUED),
        retryable=job.state in (Job.State.FAILED, Job.State.CANCELLED),
        outcome=spec.describe(job.pk, job.result or {}) if spec and spec.describe and job.state == Job.State.DONE else None,
    )


def job_get(job_id: int) -> JobRecord | None:
    job = Job.objects.select_related("started_by").filter(pk=job_id).first()
    return _record(job) if job else None


@dataclass(frozen=True)
class JobLists:
    running: list[JobRecord]
    recent: list[JobRecord]
    failed: list[JobRecord]


def job_lists(*, limit: int = 50) -> JobLists:
    """Queued and running jobs, the latest ended ones, and the latest failed ones with their reason (3 queries)."""
    base = Job.objects.select_related("started_by")
    return JobLists(
        running=[_record(j) for j in base.filter(state__in=Job.ACTIVE).order_by("created_at")],
        recent=[_record(j) for j in base.exclude(state__in=Job.ACTIVE)[:limit]],
        failed=[_record(j) for j in base.filter(state=Job.State.FAILED)[:limit]],
    )
