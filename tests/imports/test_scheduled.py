"""The scheduled import (KOKYAKU_IMPORT_SOURCE): a folder's new files, or the file at a URL, each as an import job.

Real files, a real HTTP server on a thread of this process (http.server), the in-process job engine;
SQLite and PostgreSQL.
"""

from __future__ import annotations

import http.server
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from kokyaku.crm.models import Deal
from kokyaku.imports.models import ImportRun, SourceFile
from kokyaku.jobs.models import Job
from kokyaku.jobs.services import job_retry, job_run
from kokyaku.users.services import api_token_create
from tests.imports.conftest import DEALS_HEADER, db_state, deals_csv
from tests.jobs.conftest import REDIS_TEST_URL, redis_db5  # noqa: F401 - the fixture, for the Celery test

pytestmark = pytest.mark.django_db(transaction=True)  # each file's import job runs its own transaction

BAD = DEALS_HEADER + "B1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\nB2,A1,Tanaka,y,-5,Won,won,2024-01-01,2024-02-01\n"


def _deals(prefix: str, rows: int) -> str:
    return deals_csv(rows).replace("\nD", f"\n{prefix}")


@pytest.fixture
def data_dir(tmp_path: Path, settings: object) -> Path:
    settings.DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]
    return tmp_path / "data"


def _source(source: str | Path, **extra: object) -> override_settings:
    return override_settings(IMPORT_SOURCE=str(source), IMPORT_SOURCE_KIND="deals", IMPORT_SOURCE_MAPPING="generic", **extra)


def _left(data_dir: Path) -> list[Path]:
    """The copies still under KOKYAKU_DATA_DIR/sources/ (partial downloads included)."""
    folder = data_dir / "sources"
    return list(folder.iterdir()) if folder.exists() else []


def _settled(path: Path, text: str) -> Path:
    """A file written a while ago (the import takes files older than KOKYAKU_IMPORT_SETTLE_SECONDS)."""
    path.write_text(text, encoding="utf-8")
    old = time.time() - 600
    os.utime(path, (old, old))
    return path


def test_a_folder_with_two_files_run_twice_imports_each_file_once(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    first = _settled(folder / "2026-12-01.csv", _deals("P", 30))
    second = _settled(folder / "2026-12-02.csv", _deals("Q", 20))
    _settled(folder / ".hidden.csv", _deals("H", 5))  # hidden: never read
    (folder / "2026-12-03.csv.part").write_text(_deals("R", 5))  # still being copied: waits
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    with _source(folder):
        job = job_run(actor=None, kind="import_source")
        assert job.state == Job.State.DONE, job.error
        assert job.result["imported"] == 2
        assert job.result["unchanged"] == 0
        assert [f["name"] for f in job.result["files"]] == ["2026-12-01.csv", "2026-12-02.csv"]
        imports = Job.objects.filter(kind="import").order_by("pk")
        assert [j.state for j in imports] == ["done", "done"]
        assert [j.params["file_name"] for j in imports] == ["2026-12-01.csv", "2026-12-02.csv"]
        assert Deal.objects.count() == 50
        runs = ImportRun.objects.order_by("pk")
        assert [(r.file_name, r.source, r.outcome, r.created) for r in runs] == [
            ("2026-12-01.csv", "schedule", "imported", 30),
            ("2026-12-02.csv", "schedule", "imported", 20),
        ]
        remembered = {(f.name, f.outcome, f.run_id, f.job_id) for f in SourceFile.objects.all()}
        assert remembered == {
            ("2026-12-01.csv", "imported", runs[0].pk, imports[0].pk),
            ("2026-12-02.csv", "imported", runs[1].pk, imports[1].pk),
        }
        assert SourceFile.objects.get(name="2026-12-01.csv").size == first.stat().st_size

        again = job_run(actor=None, kind="import_source")  # the next night: nothing new
        assert again.state == Job.State.DONE, again.error
        assert (again.result["imported"], again.result["unchanged"], again.result["files"]) == (0, 2, [])
        assert Job.objects.filter(kind="import").count() == 2
        assert ImportRun.objects.count() == 2
        assert Deal.objects.count() == 50

        # the folder is only read: every file as it was; the copies the imports read are gone
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
        assert not _left(data_dir)

        # a file whose content changed under the same name is new; one still being written waits
        _settled(second, _deals("Q", 25))
        (folder / "2026-12-04.csv").write_text(_deals("S", 5))  # written just now
        third = job_run(actor=None, kind="import_source")
        assert third.state == Job.State.DONE, third.error
        assert (third.result["imported"], third.result["unchanged"], third.result["waiting"]) == (1, 1, 1)
        assert Deal.objects.count() == 55  # Q0..Q19 unchanged, Q20..Q24 created
        assert not Deal.objects.filter(external_id__startswith="S").exists()


def test_a_bad_file_is_a_failed_job_that_wrote_nothing(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _settled(folder / "bad.csv", BAD)
    before = db_state()
    with _source(folder):
        job = job_run(actor=None, kind="import_source")
        assert job.state == Job.State.FAILED
        (imported,) = Job.objects.filter(kind="import")
        assert imported.state == Job.State.FAILED
        assert imported.error.startswith(
            "1 problem found, nothing was written. bad.csv: row 3, column 'amount', value '-5': negative value not allowed;"
        )
        assert "\n" not in job.error
        assert job.error.startswith(f"1 of 1 new file was not imported: bad.csv (job {imported.pk}): 1 problem found")
        assert job.result["files"] == [
            {"name": "bad.csv", "size": len(BAD), "job": imported.pk, "state": "failed", "error": imported.error}
        ]
        assert db_state() == before  # not the good first row either
        (run,) = ImportRun.objects.all()
        assert (run.file_name, run.source, run.outcome, run.problem_count) == ("bad.csv", "schedule", "refused", 1)
        (remembered,) = SourceFile.objects.all()
        assert (remembered.outcome, remembered.run_id, remembered.job_id) == ("failed", run.pk, imported.pk)

        # not retried every night while it is unchanged: the next run passes it over
        again = job_run(actor=None, kind="import_source")
        assert again.state == Job.State.DONE, again.error
        assert (again.result["imported"], again.result["unchanged"]) == (0, 1)
        assert Job.objects.filter(kind="import").count() == 1

        # retrying the file's job by hand reads the kept copy: still refused, still nothing written
        retried = job_retry(actor=None, job_id=imported.pk)
        from kokyaku.jobs import runner

        assert runner.wait(retried.pk, timeout=60).state == Job.State.FAILED
        assert db_state() == before


def test_a_good_and_a_bad_file_import_the_good_one_only(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _settled(folder / "a-good.csv", _deals("G", 10))
    _settled(folder / "b-bad.csv", BAD)
    with _source(folder):
        job = job_run(actor=None, kind="import_source")
    assert job.state == Job.State.FAILED
    assert job.error.startswith("1 of 2 new files were not imported: b-bad.csv (job ")
    assert job.result["imported"] == 1
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == sorted(f"G{i}" for i in range(10))
    assert dict(SourceFile.objects.values_list("name", "outcome")) == {"a-good.csv": "imported", "b-bad.csv": "failed"}


def test_a_missing_folder_or_no_source_is_a_one_line_reason(data_dir: Path, tmp_path: Path) -> None:
    with _source(tmp_path / "nowhere"):
        job = job_run(actor=None, kind="import_source")
    assert job.state == Job.State.FAILED
    assert job.error == f"The import source {tmp_path / 'nowhere'} is not a folder this process can read (KOKYAKU_IMPORT_SOURCE)."
    with _source(""):
        job = job_run(actor=None, kind="import_source")
    assert job.error == "No import source is configured: set KOKYAKU_IMPORT_SOURCE to a folder or an http(s) URL."
    assert not Job.objects.filter(kind="import").exists()


# --- a URL, served by a real HTTP server on a thread ---------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(3)
        if self.path.startswith("/unsized"):  # no Content-Length: the cap is counted while reading
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            line = b"X1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n"
            self.wfile.write(DEALS_HEADER.encode() + line * (3 * 1024 * 1024 // len(line)))
            return
        body = self.files.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.files = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_url_is_fetched_and_imported_once(data_dir: Path, server: str, manager: User) -> None:
    _Handler.files["/exports/deals.csv"] = _deals("U", 12).encode()
    with _source(f"{server}/exports/deals.csv?token=secret"):
        job = job_run(actor=None, kind="import_source")
        assert job.state == Job.State.DONE, job.error
        assert job.result["imported"] == 1
        assert job.result["source"] == f"{server}/exports/deals.csv"  # no query string (it may hold a token) on the page
        assert Deal.objects.filter(external_id__startswith="U").count() == 12
        (run,) = ImportRun.objects.all()
        assert (run.file_name, run.source, run.created) == ("deals.csv", "schedule", 12)
        _token, plain = api_token_create(user=manager, name="monitor")  # "did last night's import run?"
        listed = Client(headers={"Authorization": f"Bearer {plain}"}).get("/api/imports").json()
        assert [(r["file"], r["source"], r["outcome"], r["created"]) for r in listed] == [
            ("deals.csv", "schedule", "imported", 12)
        ]

        again = job_run(actor=None, kind="import_source")  # the same bytes the next night
        assert again.state == Job.State.DONE, again.error
        assert (again.result["imported"], again.result["unchanged"]) == (0, 1)
        assert ImportRun.objects.count() == 1

        _Handler.files["/exports/deals.csv"] = _deals("U", 15).encode()  # the export grew
        third = job_run(actor=None, kind="import_source")
        assert third.result["imported"] == 1
        assert Deal.objects.filter(external_id__startswith="U").count() == 15
    assert not _left(data_dir)


TOO_BIG = "{server}%s is larger than 1 MB (KOKYAKU_IMPORT_MAX_MB); nothing was imported."


@pytest.mark.parametrize(
    ("path", "extra", "reason"),
    [
        ("/gone.csv", {}, "{server}/gone.csv answered HTTP 404 (Not Found); nothing was imported."),
        (
            "/slow.csv",
            {"IMPORT_SOURCE_TIMEOUT": 1},
            "{server}/slow.csv did not answer within 1 s (KOKYAKU_IMPORT_TIMEOUT); nothing was imported.",
        ),
        ("/big.csv", {"IMPORT_SOURCE_MAX_MB": 1}, TOO_BIG % "/big.csv"),  # refused on its Content-Length
        ("/unsized.csv", {"IMPORT_SOURCE_MAX_MB": 1}, TOO_BIG % "/unsized.csv"),  # counted while reading
    ],
)
def test_a_url_that_fails_is_a_failed_job_with_one_line(
    data_dir: Path, server: str, path: str, extra: dict[str, int], reason: str
) -> None:
    _Handler.files["/slow.csv"] = _deals("S", 3).encode()
    _Handler.files["/big.csv"] = (DEALS_HEADER + "Z1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n" * 30_000).encode()
    before = db_state()
    with _source(f"{server}{path}", **extra):
        job = job_run(actor=None, kind="import_source")
    assert job.state == Job.State.FAILED
    assert job.error == reason.format(server=server)
    assert db_state() == before
    assert not Job.objects.filter(kind="import").exists()
    assert not SourceFile.objects.exists()
    assert not _left(data_dir)  # no partial download left behind


def test_the_cron_command_runs_the_scheduled_import_and_says_what_it_did(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _settled(folder / "one.csv", _deals("C", 4))
    out = io.StringIO()
    with _source(folder):
        call_command("import_source", stdout=out)
        assert "one.csv: done (job " in out.getvalue()
        assert "1 new file(s) imported" in out.getvalue()
        call_command("import_source", stdout=(out := io.StringIO()))
        assert "0 new file(s) imported" in out.getvalue()
        assert "1 already imported" in out.getvalue()
        _settled(folder / "two.csv", BAD)
        with pytest.raises(CommandError, match=r"job \d+ failed: 1 of 1 new file was not imported: two.csv"):
            call_command("import_source", stdout=io.StringIO())
    with _source(""), pytest.raises(CommandError, match="KOKYAKU_IMPORT_SOURCE is not set"):
        call_command("import_source")
    assert Deal.objects.count() == 4


def test_beat_schedules_the_import_half_an_hour_before_training_only_when_configured() -> None:
    from kokyaku.jobs.worker import beat_schedule

    with override_settings(IMPORT_SOURCE="", JOB_NIGHTLY_HOUR=2):
        assert "nightly-import" not in beat_schedule()
    with override_settings(IMPORT_SOURCE="/srv/exports", JOB_NIGHTLY_HOUR=2):
        entry = beat_schedule()["nightly-import"]
        assert entry["args"] == ["import_source"]
        assert (entry["schedule"].hour, entry["schedule"].minute) == ({1}, {30})
        assert beat_schedule()["nightly-train"]["schedule"].hour == {2}
    with override_settings(IMPORT_SOURCE="/srv/exports", JOB_NIGHTLY_HOUR=0):
        assert beat_schedule()["nightly-import"]["schedule"].hour == {23}


def test_the_jobs_page_offers_the_scheduled_import_when_one_is_configured(
    data_dir: Path, tmp_path: Path, manager_client: Client, manager: User
) -> None:
    assert 'data-testid="start-import-source"' not in manager_client.get("/jobs/").content.decode()
    assert manager_client.post("/jobs/start/import_source/").status_code == 404
    folder = tmp_path / "exports"
    folder.mkdir()
    _settled(folder / "web.csv", _deals("W", 3))
    with _source(folder):
        assert 'data-testid="start-import-source"' in manager_client.get("/jobs/").content.decode()
        started = manager_client.post("/jobs/start/import_source/")
        assert started.status_code == 302
        from kokyaku.jobs import runner

        job = runner.wait(int(started["Location"].rstrip("/").rsplit("/", 1)[1]), timeout=60)
        assert job.state == Job.State.DONE, job.error
        page = manager_client.get(started["Location"]).content.decode()
        assert "1 new file imported from" in page
        (run,) = ImportRun.objects.all()
        assert (run.file_name, run.source, run.user) == ("web.csv", "schedule", manager)  # started by the manager
    assert Deal.objects.filter(external_id__startswith="W").count() == 3


def test_the_cron_line_is_the_kokyaku_command_with_a_one_line_error(tmp_path: Path) -> None:
    """`kokyaku import-source` as cron runs it: a process of its own on its own SQLite database; exit 1 and one line."""
    from tests.test_cli import run_cli

    folder = tmp_path / "exports"
    folder.mkdir()
    _settled(folder / "deals.csv", _deals("K", 6))
    env = {"KOKYAKU_IMPORT_SOURCE": str(folder), "KOKYAKU_IMPORT_SETTLE_SECONDS": "0"}
    data = tmp_path / "var"
    assert run_cli("migrate", "-v", "0", data_dir=data).returncode == 0
    first = run_cli("import-source", data_dir=data, **env)
    assert first.returncode == 0, first.stderr
    assert "deals.csv: done (job 2)" in first.stdout  # job 1 is the run itself
    assert "1 new file(s) imported" in first.stdout
    again = run_cli("import-source", data_dir=data, **env)
    assert again.returncode == 0, again.stderr
    assert "0 new file(s) imported" in again.stdout
    _settled(folder / "later.csv", BAD)
    failed = run_cli("import-source", data_dir=data, **env)
    assert failed.returncode == 1
    assert re.match(
        r"kokyaku: error: job 4 failed: 1 of 1 new file was not imported: later\.csv \(job 5\): 1 problem", failed.stderr
    )
    assert failed.stderr.count("\n") == 1  # one line, no traceback: cron mails it
    assert "Traceback" not in failed.stderr
    unset = run_cli("import-source", data_dir=data)
    assert unset.returncode == 1
    assert "KOKYAKU_IMPORT_SOURCE is not set" in unset.stderr


@pytest.mark.postgres  # a Celery worker shares the database with the test
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.usefixtures("redis_db5")
def test_beats_entry_runs_the_scheduled_import_on_a_real_celery_worker(data_dir: Path, tmp_path: Path) -> None:
    """What beat does at night: its task queues the import_source job on Redis; a Celery worker (a subprocess)
    runs it, and each new file's import job in the same worker process, one after another."""
    from kokyaku.jobs import runner
    from kokyaku.jobs.tasks import enqueue
    from tests.jobs.test_celery import ROOT, _database_url

    folder = tmp_path / "exports"
    folder.mkdir()
    _settled(folder / "1.csv", _deals("M", 8))
    _settled(folder / "2.csv", _deals("N", 9))
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KOKYAKU_BROKER_URL": REDIS_TEST_URL,
        "KOKYAKU_DATA_DIR": str(data_dir),
        "KOKYAKU_IMPORT_SOURCE": str(folder),
        "DEBUG": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "kokyaku.jobs.worker", "worker", "--pool=solo", "--loglevel=warning"]
    worker = subprocess.Popen([*command, "--without-gossip", "--without-mingle", "--without-heartbeat"], cwd=ROOT, env=env)
    try:
        with override_settings(BROKER_URL=REDIS_TEST_URL, IMPORT_SOURCE=str(folder)):
            job_id = enqueue("import_source")  # the task beat's "nightly-import" entry sends
        assert job_id is not None
        job = runner.wait(job_id, timeout=240)
        assert job.state == Job.State.DONE, job.error
        assert job.engine == "celery"
        assert job.result["imported"] == 2
        imports = list(Job.objects.filter(kind="import").order_by("pk"))
        assert [(j.state, j.worker) for j in imports] == [("done", job.worker), ("done", job.worker)]  # the same process
        assert Deal.objects.count() == 17
        assert ImportRun.objects.filter(source="schedule").count() == 2
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_a_mapping_that_does_not_exist_fails_the_run_before_any_file_is_remembered(data_dir: Path, tmp_path: Path) -> None:
    """A typo in KOKYAKU_IMPORT_MAPPING refused every file of the night, and the files were remembered as refused:
    once the setting was fixed they were passed over as 'already imported'. Now the run stops first, naming it."""
    folder = tmp_path / "exports"
    folder.mkdir()
    _settled(folder / "2026-12-01.csv", _deals("P", 3))
    with _source(folder), override_settings(IMPORT_SOURCE_MAPPING="weekly_exprt"):
        job = job_run(actor=None, kind="import_source")
    assert job.state == Job.State.FAILED
    assert job.error.startswith("KOKYAKU_IMPORT_MAPPING: ")
    assert "'weekly_exprt'" in job.error
    assert not SourceFile.objects.exists()
    assert not Job.objects.filter(kind="import").exists()
    with _source(folder):
        assert job_run(actor=None, kind="import_source").result["imported"] == 1
