"""The import history: every import meant to write leaves a line, imported or refused; dry runs leave none."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kokyaku.crm.models import Deal
from kokyaku.imports.i18n import translated
from kokyaku.imports.models import ImportRun
from kokyaku.users.services import api_token_create
from tests.imports.conftest import DEALS_HEADER, db_state, deals_csv, web_check, web_import, write

BAD_ROW = DEALS_HEADER + "D1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\nD2,A1,Tanaka,x,-5,Won,won,2024-01-01,2024-02-01\n"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: object) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


def _cli(*args: str) -> None:
    call_command("import_data", *args, stdout=StringIO(), stderr=StringIO())


def _counts(run: ImportRun) -> tuple[int, int, int, int, int]:
    return run.rows, run.created, run.updated, run.unchanged, run.rejected


def test_command_line_imports_are_recorded_and_a_dry_run_is_not(db: None, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", deals_csv(12))
    _cli("deals", str(path), "--dry-run")
    assert not ImportRun.objects.exists()
    _cli("deals", str(path))
    _cli("deals", str(path))
    again, first = ImportRun.objects.all()  # newest first
    assert (first.source, first.user, first.kind, first.file_name, first.mapping) == ("cli", None, "deals", "d.csv", "generic")
    assert (first.outcome, _counts(first)) == ("imported", (12, 12, 0, 0, 0))
    assert (again.outcome, _counts(again)) == ("imported", (12, 0, 0, 12, 0))
    assert first.seconds > 0
    assert first.started_at <= again.started_at


def test_a_refused_import_is_recorded_with_its_problems_and_writes_nothing_else(db: None, tmp_path: Path) -> None:
    before = db_state()
    with pytest.raises(CommandError):
        _cli("deals", str(write(tmp_path, "bad.csv", BAD_ROW)))
    assert db_state() == before
    (run,) = ImportRun.objects.all()
    assert (run.outcome, run.problem_count, run.created) == ("refused", 1, 0)
    (problem,) = run.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("bad.csv", 3, "amount", "-5")
    # stored as message data, so the history speaks the reader's language
    assert translated(problem.reason) == "negative value not allowed"
    with translation.override("ja"):
        assert translated(problem.reason) == "負の値は使えません"


def test_an_unusable_file_is_recorded_with_the_reason(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        _cli("deals", str(write(tmp_path, "empty.csv", "")))
    (run,) = ImportRun.objects.all()
    assert run.outcome == "unusable"
    assert translated(run.error) == "empty.csv is empty (0 bytes)"


@pytest.mark.django_db(transaction=True)  # the import is a job: a worker thread reads what the test wrote
def test_the_import_page_lists_recent_imports_with_who_and_what(manager_client: Client, manager: User) -> None:
    upload = manager_client.post(
        reverse("imports:start"), {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile("web.csv", BAD_ROW.encode())}
    )
    review = str(upload["Location"])
    mapping = (Path(__file__).parents[2] / "kokyaku/imports/mappings/generic/deals.toml").read_text(encoding="utf-8")
    check, checked = web_check(manager_client, review, {"mapping_text": mapping})
    assert check.state == "failed"
    assert checked.status_code == 400
    job, page = web_import(manager_client, review + "import/", {"mapping_text": mapping})
    assert job.state == "failed"
    assert job.error.startswith(
        "1 problem found, nothing was written. web.csv: row 3, column 'amount', value '-5': negative value not allowed;"
    )
    assert 'data-testid="back-to-review"' in page  # the upload is kept: fix the mapping and import again
    (run,) = ImportRun.objects.all()  # the validation was a dry run: not recorded
    assert (run.source, run.user, run.outcome) == ("web", manager, "refused")

    html = manager_client.get(reverse("imports:start")).content.decode()
    assert 'data-testid="import-history"' in html
    assert html.count('data-testid="import-run"') == 1
    assert "web.csv" in html
    assert "Refused: rows with problems" in html
    assert "negative value not allowed" in html
    ja = manager_client.get(reverse("imports:start"), headers={"accept-language": "ja"})
    assert "負の値は使えません" in ja.content.decode()


def test_the_api_records_its_imports_and_lists_the_history(manager: User, strong_rep: object) -> None:
    _token, plain = api_token_create(user=manager, name="nightly")
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    assert api.post("/api/imports/deals", {"file": SimpleUploadedFile("n1.csv", deals_csv(5).encode())}).status_code == 200
    assert api.post("/api/imports/deals", {"file": SimpleUploadedFile("n2.csv", BAD_ROW.encode())}).status_code == 422

    runs = api.get("/api/imports").json()
    assert [(r["file"], r["source"], r["user"], r["outcome"], r["created"]) for r in runs] == [
        ("n2.csv", "api", "sato", "refused", 0),
        ("n1.csv", "api", "sato", "imported", 5),
    ]
    assert runs[0]["problems"][0]["reason"] == "negative value not allowed"
    ja = api.get("/api/imports?limit=1&kind=deals", headers={"accept-language": "ja"}).json()
    assert [r["file"] for r in ja] == ["n2.csv"]
    assert ja[0]["problems"][0]["reason"] == "負の値は使えません"
    assert api.get("/api/imports?kind=accounts").json() == []
    assert api.get("/api/imports?limit=0").status_code == 422

    _token, rep_plain = api_token_create(user=User.objects.get(username="tanaka"), name="rep")
    assert Client(headers={"Authorization": f"Bearer {rep_plain}"}).get("/api/imports").status_code == 403


@pytest.mark.django_db(transaction=True)  # the import is a job: a worker thread reads what the test wrote
def test_the_web_imports_the_good_rows_and_keeps_the_others_for_download(manager_client: Client, tmp_path: Path) -> None:
    upload = manager_client.post(
        reverse("imports:start"),
        {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile("mixed.csv", BAD_ROW.encode())},
    )
    review = str(upload["Location"])
    mapping = (Path(__file__).parents[2] / "kokyaku/imports/mappings/generic/deals.toml").read_text(encoding="utf-8")
    refused = web_check(manager_client, review, {"mapping_text": mapping})[1].content.decode()
    assert 'data-testid="import-valid"' in refused  # offered once there are problems

    job, done = web_import(manager_client, review + "import-valid/", {"mapping_text": mapping}, headers={"accept-language": "ja"})
    assert job.state == "done", job.error
    (run,) = ImportRun.objects.all()
    assert (run.outcome, run.created, run.rejected, run.problem_count) == ("imported", 1, 1, 1)
    link = reverse("imports:rejects", args=[run.pk])
    assert link in done
    assert Deal.objects.filter(external_id="D1").exists()
    assert not Deal.objects.filter(external_id="D2").exists()

    download = manager_client.get(link)
    assert download["Content-Disposition"] == 'attachment; filename="mixed-rejects.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(download).decode("utf-8-sig"))))
    assert rows[0][-3:] == ["row", "column", "reason"]
    assert rows[1][0] == "D2"
    assert rows[1][-3:] == ["3", "amount", "負の値は使えません"]  # the reason in the manager's language
    assert link in manager_client.get(reverse("imports:start")).content.decode()  # and from the history


def test_the_api_keeps_the_rows_set_aside_for_the_nightly_sync(manager: User, strong_rep: object) -> None:
    _token, plain = api_token_create(user=manager, name="nightly")
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    answer = api.post(
        "/api/imports/deals", {"file": SimpleUploadedFile("n.csv", BAD_ROW.encode()), "skip_invalid": "true"}
    ).json()
    assert (answer["created"], answer["rejected"]) == (1, 1)
    (run,) = api.get("/api/imports").json()
    assert run["id"] == answer["history_id"]
    assert run["rejects_url"] == f"/api/imports/{run['id']}/rejects"
    body = b"".join(api.get(run["rejects_url"])).decode("utf-8-sig")
    assert "negative value not allowed" in body
    assert api.get("/api/imports/999999/rejects").status_code == 404
    _token, rep_plain = api_token_create(user=User.objects.get(username="tanaka"), name="rep")
    assert Client(headers={"Authorization": f"Bearer {rep_plain}"}).get(run["rejects_url"]).status_code == 403


def test_a_run_without_rows_set_aside_keeps_no_file(manager: User) -> None:
    _token, plain = api_token_create(user=manager, name="nightly")
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    api.post("/api/imports/deals", {"file": SimpleUploadedFile("ok.csv", deals_csv(3).encode()), "skip_invalid": "true"})
    (run,) = ImportRun.objects.all()
    assert (run.rejected, run.rejects_file) == (0, "")
    assert not list((Path(str(settings.DATA_DIR)) / "rejects").iterdir())


def test_a_mapping_path_longer_than_the_column_is_recorded_cut(db: None, tmp_path: Path) -> None:
    folder = tmp_path.joinpath(*["a-rather-long-folder-name-for-mappings"] * 7)
    folder.mkdir(parents=True)
    mapping = folder / "deals.toml"
    mapping.write_text((Path(__file__).parents[2] / "kokyaku/imports/mappings/generic/deals.toml").read_text(encoding="utf-8"))
    assert len(str(mapping)) > 255
    with pytest.raises(CommandError):  # refused: the history keeps the mapping as given, a path (PostgreSQL: varchar 255)
        _cli("deals", str(write(tmp_path, "bad.csv", BAD_ROW)), "--mapping", str(mapping))
    (run,) = ImportRun.objects.all()
    assert (run.outcome, run.mapping) == ("refused", str(mapping)[:255])


def test_kokyaku_imports_lists_the_history_for_the_terminal_and_scripts(db: None, tmp_path: Path) -> None:
    out = StringIO()
    call_command("imports", stdout=out)
    assert out.getvalue() == "no imports yet\n"
    _cli("deals", str(write(tmp_path, "good.csv", deals_csv(3))))
    with pytest.raises(CommandError):
        _cli("deals", str(write(tmp_path, "bad.csv", BAD_ROW)))
    out = StringIO()
    call_command("imports", stdout=out)
    lines = out.getvalue().splitlines()
    assert "refused  deals      bad.csv  created 0" in lines[0]
    assert lines[1] == "    bad.csv: row 3, column 'amount', value '-5': negative value not allowed"
    assert "imported deals      good.csv  created 3 updated 0 unchanged 0 rejected 0  (cli, -," in lines[2]
    out = StringIO()
    call_command("imports", "--json", "--limit", "1", stdout=out)
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["file"] == "bad.csv"
    with pytest.raises(CommandError, match="--limit must be at least 1"):
        call_command("imports", "--limit", "0")


def test_rows_set_aside_are_kept_for_the_configured_days_then_pruned(manager: User, settings: object) -> None:
    settings.REJECTS_KEEP_DAYS = 30  # type: ignore[attr-defined]
    folder = Path(str(settings.DATA_DIR)) / "rejects"  # type: ignore[attr-defined]
    folder.mkdir(parents=True)
    old, recent = folder / "old.csv", folder / "recent.csv"
    for path, days in ((old, 31), (recent, 29)):
        path.write_text("row,column,reason\n")
        stamp = time.time() - days * 86_400
        os.utime(path, (stamp, stamp))
    _token, plain = api_token_create(user=manager, name="nightly")
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    api.post("/api/imports/deals", {"file": SimpleUploadedFile("n.csv", BAD_ROW.encode()), "skip_invalid": "true"})
    assert not old.exists()
    assert recent.exists()
    (run,) = ImportRun.objects.all()
    assert run.rejects_path is not None  # the new one


def test_what_an_import_noted_is_in_its_history_line(manager_client: Client, manager: User, tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,100,Open,open,2024-01-01,2024-03-31\n"  # an open deal's date: its expected one
    _cli("deals", str(write(tmp_path, "open.csv", text)))
    (run,) = ImportRun.objects.all()
    note = "1 open deal: the date in closed_on is stored as the expected close date"
    assert note in [translated(n) for n in run.notes]
    assert note in manager_client.get(reverse("imports:start")).content.decode()
    _token, plain = api_token_create(user=manager, name="nightly")
    (line,) = Client(headers={"Authorization": f"Bearer {plain}"}).get("/api/imports").json()
    assert note in line["notes"]


INJECTED = (
    DEALS_HEADER.replace("name", "=cmd|' /C calc'!A0")
    + "D1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n"
    + 'D2,A1,Tanaka,"=HYPERLINK(""https://x.example/"",""x"")",-5,Won,won,2024-01-01,2024-02-01\n'
    + "D3,A1,Tanaka,  ＠SUM(A1),-6,Won,won,2024-01-01,2024-02-01\n"
    + 'D4,A1,Tanaka,"\tTAB",-7,Won,won,2024-01-01,2024-02-01\n'
)


def test_the_rejects_csv_never_hands_a_spreadsheet_a_formula(manager: User, strong_rep: object) -> None:
    """Issue 15: source values went to the rejects file raw and LibreOffice ran =HYPERLINK(...)."""
    _token, plain = api_token_create(user=manager, name="nightly")
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    answer = api.post(
        "/api/imports/deals", {"file": SimpleUploadedFile("n.csv", INJECTED.encode()), "skip_invalid": "true"}
    ).json()
    assert answer["rejected"] == 3
    body = b"".join(api.get(f"/api/imports/{answer['history_id']}/rejects")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][3] == "'=cmd|' /C calc'!A0"  # the file's own header is source text too
    assert [r[3] for r in rows[1:]] == ['\'=HYPERLINK("https://x.example/","x")', "'  ＠SUM(A1)", "'\tTAB"]
    assert [r[4] for r in rows[1:]] == ["'-5", "'-6", "'-7"]  # one rule for every cell: a leading minus too
    for row in rows:
        assert not any(cell.lstrip(" \u3000")[:1] in set("=+-@＝＋－＠\t\r") for cell in row if cell)


def test_kokyaku_imports_json_is_the_apis_json_field_for_field(manager: User, tmp_path: Path) -> None:
    """docs/import.md: `--json` gives the API's objects; started_at was Python's str(), not the API's ISO 8601."""
    _cli("deals", str(write(tmp_path, "good.csv", deals_csv(3))))
    out = StringIO()
    call_command("imports", "--json", stdout=out)
    (line,) = out.getvalue().splitlines()
    _token, plain = api_token_create(user=manager, name="compare")
    (api,) = Client(headers={"Authorization": f"Bearer {plain}"}).get("/api/imports").json()
    assert json.loads(line) == api
    assert "T" in api["started_at"]
