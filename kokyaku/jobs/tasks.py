"""Celery tasks: run one job; enqueue a kind (Celery beat's nightly schedule); fail jobs whose worker died."""

from __future__ import annotations

import logging

from celery import shared_task

from kokyaku.jobs import runner

log = logging.getLogger(__name__)


@shared_task(name="kokyaku.jobs.run")  # type: ignore[untyped-decorator]  # celery ships no types
def run_job(job_id: int) -> str:
    return runner.execute(job_id)


@shared_task(name="kokyaku.jobs.enqueue")  # type: ignore[untyped-decorator]
def enqueue(kind: str) -> int | None:
    from kokyaku.jobs.services import JobBusy, job_enqueue

    try:
        return job_enqueue(actor=None, kind=kind).pk
    except JobBusy as exc:
        log.warning("nightly %s not started: %s", kind, exc.message)
        return None


@shared_task(name="kokyaku.jobs.reap")  # type: ignore[untyped-decorator]
def reap() -> list[int]:
    from kokyaku.jobs.services import job_reap

    return job_reap()
