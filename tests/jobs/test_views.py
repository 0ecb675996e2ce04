"""The jobs pages: starting a snapshot answers at once with a progress page; the list; cancel and retry; rights."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

import tests.jobs.kinds  # noqa: F401
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from kokyaku.portfolio.models import Snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_starting_a_snapshot_answers_at_once_and_the_progress_reaches_the_result(
    manager_client: Client, strong_account: object
) -> None:
    response = manager_client.post(reverse("jobs:start", args=["snapshot"]))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    page = manager_client.get(response["Location"]).content.decode()
    assert 'data-testid="job-progress"' in page
    assert "<progress" in page
    runner.wait(job.pk)
    partial = manager_client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    snapshot = Snapshot.objects.get()
    assert f"Snapshot {snapshot.pk} computed: 1 accounts" in partial
    assert "hx-trigger" not in partial  # polling stops with the result
    assert "<html" not in partial


def test_a_second_snapshot_while_one_runs_gets_a_clear_message(manager_client: Client, manager: User) -> None:
    running = Job.objects.create(kind="snapshot", state=Job.State.RUNNING, worker=runner.WORKER, started_by=manager)
    response = manager_client.post(reverse("jobs:start", args=["snapshot"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("jobs:detail", args=[running.pk])
    assert f"A Snapshot job is already running (job {running.pk}, started by sato)" in response.content.decode()
    assert Job.objects.count() == 1


def test_the_list_shows_running_recent_and_failed_with_the_reason(manager_client: Client, manager: User) -> None:
    Job.objects.create(kind="snapshot", state=Job.State.RUNNING, worker=runner.WORKER, progress=40, step="loaded")
    Job.objects.create(kind="import", state=Job.State.FAILED, error="row 7, column amount: 'abc' is not a number")
    html = manager_client.get(reverse("jobs:list")).content.decode()
    assert 'data-state="running"' in html
    assert "40%" in html
    assert "scoring" in html
    assert "row 7, column amount: &#x27;abc&#x27; is not a number" in html
    ja = manager_client.get(reverse("jobs:list"), headers={"Accept-Language": "ja"}).content.decode()
    assert "バックグラウンドジョブ" in ja
    assert "実行中" in ja


def test_cancel_a_queued_job_and_retry_it(manager_client: Client, manager: User) -> None:
    queued = Job.objects.create(kind="test_write", params={"name": "Kochi"}, worker=runner.WORKER)
    manager_client.post(reverse("jobs:cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.state == Job.State.CANCELLED
    response = manager_client.post(reverse("jobs:retry", args=[queued.pk]))
    again = Job.objects.exclude(pk=queued.pk).get()
    assert response["Location"] == reverse("jobs:detail", args=[again.pk])
    assert runner.wait(again.pk).state == Job.State.DONE


def test_reps_see_no_jobs(rep_client: Client) -> None:
    assert rep_client.get(reverse("jobs:list")).status_code == 403
    assert rep_client.post(reverse("jobs:start", args=["snapshot"])).status_code == 403
    assert Job.objects.count() == 0
