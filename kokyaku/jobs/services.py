"""Every write of the job layer: enqueue, cancel, retry, and failing jobs whose worker died.

``job_enqueue`` is the one way to start heavy work: it records the job (the lock per kind is the
database's partial unique constraint, so the second snapshot gets :class:`JobBusy` with a clear
message) and hands it to the engine: a worker thread of this process by default, Celery when
``KOKYAKU_BROKER_URL`` is set.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from kokyaku.crm.permissions import check
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from kokyaku.jobs.registry import Actor, kind_of


class JobBusy(ValidationError):
    """A job of the same kind is already queued or running."""

    def __init__(self, running: Job) -> None:
        self.running = running
        super().__init__(
            gettext("A %(kind)s job is already %(state)s (job %(id)s, started by %(who)s); wait for it to end or cancel it.")
            % {
                "kind": kind_of(running.kind).label,
                "state": running.get_state_display(),
                "id": running.pk,
                "who": running.started_by.get_username() if running.started_by else gettext("the system"),
            }
        )


def _login(actor: Actor) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def job_enqueue(
    *, actor: Actor, kind: str, params: dict[str, Any] | None = None, retry_of: Job | None = None, here: bool = False
) -> Job:
    """Queue one job of ``kind`` and start it; returns at once with the queued job.

    Managers only (``actor`` None is the system: the command line, Celery beat). Raises JobBusy when
    a job of the same kind is queued or running, after failing one whose worker is gone.
    """
    spec = kind_of(kind)
    check(actor, "job_enqueue")
    check(actor, spec.right)
    engine = "celery" if settings.BROKER_URL and not here else "thread"
    job_reap(kind=kind)
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                started_by=_login(actor),
                params=dict(params or {}),
                engine=engine,
                worker=runner.WORKER if engine == "thread" else "",
                retry_of=retry_of,
            )
    except IntegrityError:
        running = Job.objects.select_related("started_by").filter(kind=kind, state__in=Job.ACTIVE).first()
        if running is None:  # it ended between the insert and this read
            return job_enqueue(actor=actor, kind=kind, params=params, retry_of=retry_of, here=here)
        raise JobBusy(running) from None
    if not here:
        transaction.on_commit(lambda: runner.dispatch(job))
    return job


def job_run(*, actor: Actor, kind: str, params: dict[str, Any] | None = None) -> Job:
    """Record a job of ``kind`` and run it in this process, now; returns it ended (done, failed or cancelled).

    For work that is itself in the background (a Celery task, the nightly command) and runs jobs of
    one kind one after another, such as the scheduled import's one job per file: the same lock, states,
    progress and record as :func:`job_enqueue`, without waiting for another worker. Raises JobBusy as
    it does. Not inside a transaction: the job's own writes are its transaction.
    """
    job = job_enqueue(actor=actor, kind=kind, params=params, here=True)
    runner.execute(job.pk)
    job.refresh_from_db()
    return job


def job_cancel(*, actor: Actor, job_id: int) -> Job:
    """Cancel a job: a queued one never starts; a running one stops at its next progress report and rolls back.

    Only kinds that write in one transaction are cancellable while running. Raises ValidationError
    for a job that has ended or cannot be stopped safely.
    """
    check(actor, "job_cancel")
    job = Job.objects.get(pk=job_id)
    if not job.active:
        raise ValidationError(
            gettext("Job %(id)s has already ended (%(state)s).") % {"id": job.pk, "state": job.get_state_display()}
        )
    if job.state == Job.State.RUNNING and not kind_of(job.kind).cancellable:
        raise ValidationError(gettext("A running %(kind)s job cannot be stopped safely.") % {"kind": kind_of(job.kind).label})
    # first the flag of a job this process runs (SQLite lets no one write until the job's transaction ends),
    # then the row, which the worker reading it elsewhere obeys at its next progress report
    if runner.request_cancel(job.pk):
        return job  # it records itself cancelled when it stops, within a second
    Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
        state=Job.State.CANCELLED, ended_at=timezone.now(), error=gettext("Cancelled before it started."), cancel_requested=True
    )
    Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def job_retry(*, actor: Actor, job_id: int) -> Job:
    """Start a failed or cancelled job again with the same parameters (safe: the failed run wrote nothing)."""
    check(actor, "job_enqueue")  # the right first: who may not retry learns nothing of the job's state
    old = Job.objects.get(pk=job_id)
    if old.state not in (Job.State.FAILED, Job.State.CANCELLED):
        raise ValidationError(gettext("Only a failed or cancelled job can be retried."))
    return job_enqueue(actor=actor, kind=old.kind, params=old.params, retry_of=old)


def _alive_here(worker: str) -> bool | None:
    """Whether the process host:pid is alive, when it is on this machine (None: another machine, unknown)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def job_reap(*, kind: str | None = None, stale_seconds: int | None = None) -> list[int]:
    """Fail the running jobs whose worker is gone: its process on this machine has exited, or (on another
    machine) it has not reported for ``stale_seconds`` (default ``KOKYAKU_JOB_STALE_SECONDS``). Their writes were rolled back
    with the worker's transaction, so the database is as before and a retry is safe. Returns their ids.
    """
    stale = timezone.now() - timedelta(seconds=stale_seconds if stale_seconds is not None else settings.JOB_STALE_SECONDS)
    jobs = Job.objects.filter(Q(state=Job.State.RUNNING) | Q(state=Job.State.QUEUED, engine="thread"))
    if kind is not None:
        jobs = jobs.filter(kind=kind)
    dead = []
    for job in jobs.only("pk", "state", "worker", "heartbeat_at", "started_at"):
        alive = _alive_here(job.worker)  # on this machine the process says it all (SQLite jobs write no heartbeat)
        silent = job.state == Job.State.RUNNING and (job.heartbeat_at or job.started_at or stale) < stale
        if alive is False or (alive is None and silent):
            dead.append(job.pk)
    if dead:
        Job.objects.filter(pk__in=dead, state__in=Job.ACTIVE).update(
            state=Job.State.FAILED,
            ended_at=timezone.now(),
            error=gettext("The worker running this job stopped before it ended; nothing it did was kept. Retry it."),
        )
    return dead
