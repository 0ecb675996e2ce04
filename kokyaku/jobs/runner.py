"""Running a job: the same :func:`execute` in a thread of the web process or in a Celery worker.

The job's own writes happen in its service's transaction on this thread's connection; progress,
the heartbeat and the cancel flag travel on a second thread with its own connection, so the
progress bar moves while that transaction is still open (on PostgreSQL; SQLite, which allows one
writer, shows the in-process progress from memory instead).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from kokyaku.jobs.models import Job
from kokyaku.jobs.registry import JobCancelled, JobFailed, kind_of

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
HEARTBEAT_SECONDS = 2.0


@dataclass
class Live:
    """What this process knows of a job it runs: the latest progress, and whether to stop."""

    progress: int = 0
    step: str = ""
    cancel: threading.Event | None = None


LIVE: dict[int, Live] = {}
_LIVE_LOCK = threading.Lock()


def live(job_id: int) -> Live | None:
    with _LIVE_LOCK:
        return LIVE.get(job_id)


def request_cancel(job_id: int) -> bool:
    """Tell a job this process runs to stop at its next progress report; False when it runs elsewhere."""
    state = live(job_id)
    if state is None or state.cancel is None:
        return False
    state.cancel.set()
    return True


def dispatch(job: Job) -> None:
    """Hand a queued job to its engine."""
    if job.engine == "celery":
        from kokyaku.jobs.worker import app

        with app.connection_for_write(settings.BROKER_URL) as conn:
            app.send_task("kokyaku.jobs.run", args=[job.pk], task_id=f"kokyaku-job-{job.pk}", connection=conn)
    else:
        threading.Thread(target=_thread_main, args=(job.pk,), name=f"kokyaku-job-{job.pk}", daemon=True).start()


def _thread_main(job_id: int) -> None:
    try:
        execute(job_id)
    finally:
        connection.close()


class _Reporter(threading.Thread):
    """Writes progress and a heartbeat every few seconds on its own connection; reads the cancel flag."""

    def __init__(self, job_id: int, state: Live) -> None:
        super().__init__(name=f"kokyaku-job-{job_id}-progress", daemon=True)
        self.job_id, self.state = job_id, state
        self.updates: queue.Queue[tuple[int, str] | None] = queue.Queue()
        self.shared = connection.vendor != "sqlite"  # SQLite: one writer at a time; memory only

    def run(self) -> None:
        try:
            while True:
                try:
                    item = self.updates.get(timeout=HEARTBEAT_SECONDS)
                except queue.Empty:
                    item = (self.state.progress, self.state.step)
                if item is None:
                    return
                while not self.updates.empty():  # coalesce: only the latest matters
                    latest = self.updates.get_nowait()
                    if latest is None:
                        return
                    item = latest
                if self.shared:
                    self._write(*item)
        finally:
            connection.close()

    def _write(self, progress: int, step: str) -> None:
        try:
            Job.objects.filter(pk=self.job_id, state=Job.State.RUNNING).update(
                progress=progress, step=step, heartbeat_at=timezone.now()
            )
            if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists() and self.state.cancel is not None:
                self.state.cancel.set()
        except Exception:  # progress is best effort; the job itself decides the outcome
            log.exception("job %s: progress not recorded", self.job_id)


def _write(update: Any, *, seconds: float = 10.0) -> Any:
    """Run ``update()``, retrying while SQLite answers "locked".

    A file database waits by itself (its busy timeout); SQLite's shared-cache memory database, which
    the test runs use, answers "database table is locked" at once when another connection holds the
    table, so the worker thread retries for up to ``seconds`` instead of dying with the job queued.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            return update()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def execute(job_id: int) -> str:
    """Run a queued job to its end and record the outcome; returns the final state.

    A job that is no longer queued (cancelled meanwhile, or run by another worker) is left alone.
    """
    close_old_connections()
    now = timezone.now()
    claimed = _write(
        lambda: Job.objects.filter(pk=job_id, state=Job.State.QUEUED, cancel_requested=False).update(
            state=Job.State.RUNNING, started_at=now, heartbeat_at=now, worker=WORKER
        )
    )
    if not claimed:
        return Job.objects.filter(pk=job_id).values_list("state", flat=True).first() or "missing"
    job = Job.objects.select_related("started_by").get(pk=job_id)
    spec = kind_of(job.kind)
    state = Live(cancel=threading.Event())
    with _LIVE_LOCK:
        LIVE[job_id] = state
    reporter = _Reporter(job_id, state)
    reporter.start()

    def report(progress: int, step: str) -> None:
        if state.cancel is not None and state.cancel.is_set():
            raise JobCancelled
        state.progress, state.step = max(0, min(100, int(progress))), step
        reporter.updates.put((state.progress, step))

    outcome: dict[str, Any]
    try:
        # Each kind writes in one transaction, so a run refused with "locked" wrote nothing: retried.
        result = _write(lambda: spec.run(job.started_by, dict(job.params), report))
    except JobCancelled:
        outcome = {"state": Job.State.CANCELLED, "error": "cancelled"}
    except BaseException as exc:
        if getattr(exc, "messages", None):  # the kind's own refusal (a refused file, a bad source): its reason says it all
            log.info("job %s (%s) failed: %s", job_id, job.kind, _reason(exc))
        else:  # something nobody foresaw: the traceback, for whoever reads the logs
            log.exception("job %s (%s) failed", job_id, job.kind)
        outcome = {"state": Job.State.FAILED, "error": _reason(exc)}
        if isinstance(exc, JobFailed):  # what a failed kind leaves to show (a history line)
            outcome["result"] = exc.job_result
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: record, then let the worker stop
            _finish(job_id, reporter, outcome)
            raise
    else:
        outcome = {"state": Job.State.DONE, "result": result, "progress": 100, "step": "done"}
    return _finish(job_id, reporter, outcome)


def _reason(exc: BaseException) -> str:
    messages = getattr(exc, "messages", None)  # ValidationError, the import's ImportInvalid
    text = "; ".join(str(m) for m in messages) if messages else str(exc)
    return text or type(exc).__name__


def _finish(job_id: int, reporter: _Reporter, outcome: dict[str, Any]) -> str:
    reporter.updates.put(None)
    reporter.join(timeout=10)
    if outcome["state"] == Job.State.CANCELLED:
        outcome["error"] = gettext("Cancelled while running; nothing it did was kept.")

    def record() -> None:
        with transaction.atomic():
            Job.objects.filter(pk=job_id).update(ended_at=timezone.now(), heartbeat_at=timezone.now(), **outcome)

    _write(record)
    with _LIVE_LOCK:
        LIVE.pop(job_id, None)
    return str(outcome["state"])


def wait(job_id: int, *, timeout: float = 60.0) -> Job:
    """Block until a job ends (tests, the CLI's --wait); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        job = Job.objects.get(pk=job_id)
        if not job.active or time.monotonic() > deadline:
            return job
        time.sleep(0.1)
