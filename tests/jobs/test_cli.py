"""`kokyaku snapshot --background` and `kokyaku jobs`: a job recorded, its lock, its reason; the beat schedule."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import run_cli

pytestmark = pytest.mark.slow


def test_snapshot_background_records_a_job_and_jobs_lists_it(tmp_path: Path) -> None:
    assert run_cli("migrate", "-v", "0", data_dir=tmp_path).returncode == 0
    assert run_cli("demo", "--accounts", "120", data_dir=tmp_path).returncode == 0
    result = run_cli("snapshot", "--background", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "job 1 queued (snapshot, thread)" in result.stdout
    assert '"accounts": 120' in result.stdout
    listed = run_cli("jobs", "list", data_dir=tmp_path)
    assert listed.stdout.split()[:4] == ["1", "snapshot", "done", "100%"]
    with sqlite3.connect(tmp_path / "kokyaku.sqlite3") as db:
        assert db.execute("select state, started_by_id from jobs_job").fetchall() == [("done", None)]
    # a job whose process vanished is failed with the reason, and the lock is free again
    with sqlite3.connect(tmp_path / "kokyaku.sqlite3") as db:
        dead = f"{socket.gethostname()}:999999"  # this machine, a process that is gone
        db.execute(
            "insert into jobs_job (kind, params, state, engine, worker, progress, step, cancel_requested, created_at,"
            " result, error)"
            " values ('snapshot', '{}', 'running', 'thread', ?, 10, '', 0, '2026-01-01', '{}', '')",
            [dead],
        )
    assert "1 job(s) failed" in run_cli("jobs", "reap", data_dir=tmp_path).stdout
    assert run_cli("snapshot", "--background", data_dir=tmp_path).returncode == 0
    cancel = run_cli("jobs", "cancel", "1", data_dir=tmp_path)
    assert cancel.returncode == 1
    assert "Job 1 has already ended (done)." in cancel.stderr


def test_the_beat_schedule_trains_then_snapshots_every_night() -> None:
    from kokyaku.jobs.worker import app

    schedule = app.conf.beat_schedule
    assert schedule["nightly-train"]["args"] == ["train"]
    assert schedule["nightly-snapshot"]["args"] == ["snapshot"]
    train, snap = schedule["nightly-train"]["schedule"], schedule["nightly-snapshot"]["schedule"]
    assert (train.hour, train.minute, snap.hour, snap.minute) == ({2}, {0}, {2}, {30})
    app.loader.import_default_modules()  # what a worker does at start: the include list
    assert {"kokyaku.jobs.run", "kokyaku.jobs.enqueue", "kokyaku.jobs.reap"} <= set(app.tasks)


def test_an_unknown_job_id_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    assert run_cli("migrate", "-v", "0", data_dir=tmp_path).returncode == 0
    for action in ("cancel", "retry"):
        result = run_cli("jobs", action, "99", data_dir=tmp_path)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert result.stderr.strip() == "kokyaku: error: there is no job 99"
