"""The job layer in-process (a worker thread, the default without a broker), on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

import tests.jobs.kinds  # noqa: F401
from kokyaku.crm.models import Team
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from kokyaku.jobs.services import JobBusy, job_cancel, job_enqueue, job_reap, job_retry

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_runs_in_a_thread_with_progress_and_result(manager: User) -> None:
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Osaka", "steps": 4})
    assert job.state == Job.State.QUEUED
    assert job.engine == "thread"
    done = runner.wait(job.pk, timeout=30)
    assert done.state == Job.State.DONE, done.error
    assert done.progress == 100
    assert done.started_at
    assert done.ended_at
    assert done.started_by == manager
    assert done.result == {"team": Team.objects.get(name="Osaka").pk}


def test_a_failing_job_leaves_the_database_as_before_and_shows_the_reason(manager: User) -> None:
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Nagoya", "steps": 4, "fail_at": 2})
    done = runner.wait(job.pk, timeout=30)
    assert done.state == Job.State.FAILED
    assert done.error == "row 3: column amount: 'abc' is not a number"
    assert not Team.objects.filter(name="Nagoya").exists()
    # retrying is safe: the same parameters, a new job, nothing doubled
    again = job_retry(actor=manager, job_id=job.pk)
    assert again.pk != job.pk
    assert again.retry_of_id == job.pk
    assert again.params == job.params
    assert runner.wait(again.pk, timeout=30).state == Job.State.FAILED
    assert not Team.objects.filter(name="Nagoya").exists()


def test_two_jobs_of_one_kind_do_not_run_at_once(manager: User) -> None:
    first = job_enqueue(actor=manager, kind="test_write", params={"name": "Kobe", "steps": 20, "sleep": 0.1})
    with pytest.raises(JobBusy, match=rf"A Test write job is already (queued|running) \(job {first.pk}, started by sato\)"):
        job_enqueue(actor=manager, kind="test_write", params={"name": "Kyoto"})
    assert runner.wait(first.pk, timeout=30).state == Job.State.DONE
    second = job_enqueue(actor=manager, kind="test_write", params={"name": "Kyoto"})  # the lock is free again
    assert runner.wait(second.pk, timeout=30).state == Job.State.DONE
    assert set(Team.objects.filter(name__in=["Kobe", "Kyoto"]).values_list("name", flat=True)) == {"Kobe", "Kyoto"}


def test_cancelling_a_running_job_rolls_it_back(manager: User) -> None:
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Sendai", "steps": 100, "sleep": 0.05})
    for _ in range(100):
        if Job.objects.get(pk=job.pk).state == Job.State.RUNNING:
            break
        time.sleep(0.05)
    job_cancel(actor=manager, job_id=job.pk)
    done = runner.wait(job.pk, timeout=30)
    assert done.state == Job.State.CANCELLED
    assert done.error == "Cancelled while running; nothing it did was kept."
    assert not Team.objects.filter(name="Sendai").exists()
    with pytest.raises(ValidationError, match="has already ended"):
        job_cancel(actor=manager, job_id=job.pk)


def test_reps_cannot_start_or_cancel_jobs(manager: User, strong_rep: object) -> None:
    tanaka = User.objects.get(username="tanaka")
    with pytest.raises(PermissionDenied, match="Only managers can start background jobs"):
        job_enqueue(actor=tanaka, kind="snapshot")
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Fukuoka"})
    with pytest.raises(PermissionDenied, match="Only managers can cancel background jobs"):
        job_cancel(actor=tanaka, job_id=job.pk)
    runner.wait(job.pk)


def test_a_job_whose_process_died_is_failed_and_frees_the_lock(manager: User) -> None:
    # what the web process leaves behind when it is killed mid-job: a running row, its pid gone
    ghost = Job.objects.create(kind="test_write", state=Job.State.RUNNING, worker=f"{socket.gethostname()}:999999")
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Sapporo"})  # reaps the ghost first
    ghost.refresh_from_db()
    assert ghost.state == Job.State.FAILED
    assert "stopped before it ended" in ghost.error
    assert runner.wait(job.pk).state == Job.State.DONE
    # on another machine only the heartbeat tells: silent too long is lost
    far = Job.objects.create(kind="test_write", state=Job.State.RUNNING, worker="elsewhere:1", engine="celery")
    assert job_reap(stale_seconds=3600) == []
    Job.objects.filter(pk=far.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=600))
    assert job_reap(stale_seconds=120) == [far.pk]
    # here, a live process is never taken for lost, however long its job (SQLite jobs write no heartbeat)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Job.objects.create(kind="long", state=Job.State.RUNNING, worker=runner.WORKER, started_at=an_hour_ago)
    assert job_reap(stale_seconds=120) == []


def test_the_snapshot_runs_as_a_job(manager: User, strong_account: object, developing_account: object) -> None:
    job = job_enqueue(actor=manager, kind="snapshot")
    done = runner.wait(job.pk, timeout=60)
    assert done.state == Job.State.DONE, done.error
    assert done.result["accounts"] == 2
    from kokyaku.portfolio.models import Snapshot

    assert Snapshot.objects.get().pk == done.result["snapshot"]


@pytest.mark.postgres
def test_progress_is_visible_while_the_job_transaction_is_open(manager: User) -> None:
    """On PostgreSQL the progress travels on its own connection: readers see it before the job commits."""
    assert connection.vendor == "postgresql"
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Naha", "steps": 40, "sleep": 0.1})
    seen = set()
    for _ in range(80):
        row = Job.objects.get(pk=job.pk)
        if row.state == Job.State.RUNNING and row.progress > 0:
            seen.add(row.progress)
            if row.progress <= 50:  # 20 steps of 0.1 s still to go: the commit cannot have come between these two reads
                assert not Team.objects.filter(name="Naha").exists()  # not committed yet
        if not row.active:
            break
        time.sleep(0.1)
    assert len(seen) >= 2, seen
    assert any(p <= 50 for p in seen), seen
    assert runner.wait(job.pk).state == Job.State.DONE


def test_an_import_runs_as_a_job_with_its_history_line_and_a_refused_file_leaves_nothing(
    manager: User, team: Team, tmp_path: object
) -> None:
    from pathlib import Path

    from kokyaku.crm.models import Account
    from kokyaku.imports.models import ImportRun

    good, bad = Path(str(tmp_path)) / "good.csv", Path(str(tmp_path)) / "bad.csv"
    good.write_text("external_id,name\nA-1,Alpha KK\nA-2,Beta KK\n", encoding="utf-8")
    bad.write_text("external_id,name\nB-1,Gamma KK\nB-2,\n", encoding="utf-8")
    job = job_enqueue(actor=manager, kind="import", params={"kind": "accounts", "path": str(good)})
    done = runner.wait(job.pk, timeout=60)
    assert done.state == Job.State.DONE, done.error
    assert done.result["created"] == 2
    assert set(Account.objects.values_list("external_id", flat=True)) == {"A-1", "A-2"}
    refused = runner.wait(job_enqueue(actor=manager, kind="import", params={"kind": "accounts", "path": str(bad)}).pk, timeout=60)
    assert refused.state == Job.State.FAILED
    assert "bad.csv: row 3, column 'name': name is required but empty" in refused.error, refused.error
    assert not Account.objects.filter(external_id="B-1").exists()
    assert ImportRun.objects.count() == 2  # both on the history, as from the command line


@pytest.mark.django_db
def test_kokyaku_jobs_list_says_when_there_are_none() -> None:
    """A newcomer's first `kokyaku jobs list` printed nothing at all, which reads like a hang or a failure."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("jobs", "list", stdout=out)
    assert out.getvalue() == "no jobs yet\n"
