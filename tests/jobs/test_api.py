"""The jobs API: queue a snapshot, poll it to its result, the lock's 400, cancel and retry, rights."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

import tests.jobs.kinds  # noqa: F401
from kokyaku.crm.models import Rep
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_queue_a_snapshot_and_poll_it_to_the_result(manager: User, strong_account: object) -> None:
    api = token_client("sato")
    started = api.post("/api/jobs", {"kind": "snapshot"}, content_type="application/json")
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["kind"] == "snapshot"
    assert body["state"] in ("queued", "running", "done")
    runner.wait(body["id"])
    done = api.get(f"/api/jobs/{body['id']}").json()
    assert done["state"] == "done"
    assert done["progress"] == 100
    assert done["result"]["accounts"] == 1
    listed = api.get("/api/jobs").json()
    assert body["id"] in [j["id"] for j in listed["recent"]]


def test_a_second_job_of_a_kind_gets_400_with_the_reason(manager: User) -> None:
    running = Job.objects.create(kind="snapshot", state=Job.State.RUNNING, worker=runner.WORKER)
    busy = token_client("sato").post("/api/jobs", {"kind": "snapshot"}, content_type="application/json")
    assert busy.status_code == 400
    assert busy.json()["detail"].startswith(f"A Snapshot job is already running (job {running.pk}, started by the system)")


def test_a_failed_job_reads_with_its_reason_and_can_be_retried(manager: User) -> None:
    api = token_client("sato")
    job = Job.objects.create(kind="test_write", state=Job.State.FAILED, params={"name": "Oita"}, error="row 2: bad")
    assert api.get(f"/api/jobs/{job.pk}").json()["error"] == "row 2: bad"
    retried = api.post(f"/api/jobs/{job.pk}/retry")
    assert retried.status_code == 202
    assert runner.wait(retried.json()["id"]).state == Job.State.DONE
    assert api.post(f"/api/jobs/{job.pk}/cancel").status_code == 400  # it has ended
    assert api.get("/api/jobs/999999").status_code == 404


def test_reps_get_403(strong_rep: Rep) -> None:
    api = token_client("tanaka")
    assert api.get("/api/jobs").status_code == 403
    assert api.post("/api/jobs", {"kind": "snapshot"}, content_type="application/json").status_code == 403
    assert Job.objects.count() == 0


@pytest.mark.parametrize("kind", ["snapshot", "train"])
def test_a_bad_as_of_fails_the_job_with_a_reason_that_names_the_value(manager: User, kind: str) -> None:
    api = token_client("sato")
    started = api.post("/api/jobs", {"kind": kind, "params": {"as_of": "2026-13-01"}}, content_type="application/json")
    assert started.status_code == 202, started.content
    runner.wait(started.json()["id"])
    failed = api.get(f"/api/jobs/{started.json()['id']}").json()
    assert failed["state"] == "failed"
    assert failed["error"] == "as_of: '2026-13-01' is not a date (use YYYY-MM-DD)."
