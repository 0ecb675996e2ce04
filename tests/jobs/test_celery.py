"""The job layer on a real Celery worker against Redis (db 5), on PostgreSQL: the worker is a subprocess.

Includes killing the worker mid-job: the database is as before, the job is failed with the reason once
reaped, and the retry runs on a new worker to the end, writing once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings

import tests.jobs.kinds  # noqa: F401
from kokyaku.crm.models import Account, Deal, Team
from kokyaku.imports.models import ImportRun
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from kokyaku.jobs.services import job_enqueue, job_reap, job_retry
from tests.jobs.conftest import REDIS_TEST_URL

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def start_worker(redis_db5: None) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KOKYAKU_BROKER_URL": REDIS_TEST_URL,
        "DJANGO_SETTINGS_MODULE": "kokyaku.settings",
        "DEBUG": "1",
    }

    def start() -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.jobs.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def _until(predicate: Callable[[], bool], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@override_settings(BROKER_URL=REDIS_TEST_URL)
def test_a_celery_worker_runs_the_job_with_progress(manager: User, start_worker) -> None:
    start_worker()
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Celery", "steps": 10, "sleep": 0.2})
    assert job.engine == "celery"
    progress: set[int] = set()

    def ended() -> bool:
        row = Job.objects.get(pk=job.pk)
        if row.state == Job.State.RUNNING:
            progress.add(row.progress)
        return not row.active

    _until(ended)
    done = Job.objects.get(pk=job.pk)
    assert done.state == Job.State.DONE, done.error
    assert done.worker.endswith(tuple("0123456789"))
    assert done.worker != runner.WORKER
    assert done.result == {"team": Team.objects.get(name="Celery").pk}
    assert len(progress - {0}) >= 2, progress


@override_settings(BROKER_URL=REDIS_TEST_URL)
def test_a_worker_killed_mid_job_leaves_the_database_unchanged_and_the_job_failed(manager: User, start_worker) -> None:
    worker = start_worker()
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Killed", "steps": 200, "sleep": 0.1})
    _until(lambda: Job.objects.get(pk=job.pk).progress >= 5)  # running, its transaction open
    worker.kill()  # SIGKILL: no cleanup, no chance to record anything
    worker.wait()
    assert not Team.objects.filter(name="Killed").exists()
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING  # what the dead worker left
    assert job_reap() == [job.pk]  # its process is gone (same machine); elsewhere the heartbeat's age tells
    failed = Job.objects.get(pk=job.pk)
    assert failed.state == Job.State.FAILED
    assert "stopped before it ended" in failed.error
    assert not Team.objects.filter(name="Killed").exists()
    # the retry runs on a fresh worker and writes exactly once
    start_worker()
    again = job_retry(actor=manager, job_id=job.pk)
    Job.objects.filter(pk=again.pk).update(params={"name": "Killed", "steps": 3})
    _until(lambda: not Job.objects.get(pk=again.pk).active)
    assert Job.objects.get(pk=again.pk).state == Job.State.DONE
    assert Team.objects.filter(name="Killed").count() == 1


def _deals_file(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("external_id,account,owner,name,amount,stage,status,opened_on,closed_on\n")
        for i in range(rows):
            out.write(f"K{i},Account {i % 2000},Rep {i % 50},Deal {i},{1000 + i},Won,won,2024-01-01,2024-02-01\n")
    return path


@override_settings(BROKER_URL=REDIS_TEST_URL)
def test_a_worker_killed_mid_import_leaves_no_row_and_no_history_line_and_the_retry_imports_once(
    manager: User, start_worker, tmp_path: Path
) -> None:
    rows = 150_000  # two chunks of 100,000: the kill comes after the first is in the (open) transaction
    params = {"kind": "deals", "path": str(_deals_file(tmp_path / "big.csv", rows)), "mapping": "generic", "source": "web"}
    worker = start_worker()
    job = job_enqueue(actor=manager, kind="import", params=params)
    _until(lambda: Job.objects.get(pk=job.pk).progress > 1)  # the first chunk is done, the transaction open
    worker.kill()  # SIGKILL mid-import
    worker.wait()
    assert not Deal.objects.exists()
    assert not Account.objects.exists()
    assert not ImportRun.objects.exists()  # the history line is written after the import's transaction
    assert job_reap() == [job.pk]
    failed = Job.objects.get(pk=job.pk)
    assert (failed.state, failed.progress > 1) == (Job.State.FAILED, True)
    assert "stopped before it ended" in failed.error
    start_worker()
    again = job_retry(actor=manager, job_id=job.pk)
    _until(lambda: not Job.objects.get(pk=again.pk).active, timeout=600)
    done = Job.objects.get(pk=again.pk)
    assert done.state == Job.State.DONE, done.error
    assert done.result["created"] == rows
    assert Deal.objects.count() == rows
    assert ImportRun.objects.get().created == rows
