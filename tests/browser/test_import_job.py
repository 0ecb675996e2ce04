"""The web import as a background job in Chromium: upload a file, press Import, watch the progress bar reach the result."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Deal
from kokyaku.imports.models import ImportRun
from kokyaku.jobs.models import Job
from tests.browser.conftest import NewPage, log_in, upload
from tests.browser.test_jobs import WATCH

pytestmark = pytest.mark.browser
ROWS = 40_000
HEADER = "external_id,account,owner,name,amount,stage,status,opened_on,closed_on\n"


def _deals(path: Path, rows: int, *, bad: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(rows):
            amount = "-5" if i == bad else str(1000 + i)
            out.write(f"D{i},Account {i % 500},Tanaka,Deal {i},{amount},Won,won,2024-01-01,2024-02-01\n")
    return path


def _upload(page: Page, url: str, path: Path) -> None:
    upload(page, url, "deals", path)
    expect(page.get_by_test_id("import-preview")).to_be_visible()


def test_an_upload_imports_in_the_background_and_the_progress_bar_reaches_the_summary(
    new_page: NewPage, live_server: LiveServer, transactional_db: None, manager: User, tmp_path: Path, settings: object
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    page = new_page()
    log_in(page, live_server.url, "sato")
    _upload(page, live_server.url, _deals(tmp_path / "big.csv", ROWS))
    page.click("button[value=import]")
    job = Job.objects.get(kind="import")
    expect(page).to_have_url(re.compile(rf"/imports/jobs/{job.pk}/$"))  # answered at once, before the rows are in
    page.evaluate(WATCH)
    done = page.get_by_test_id("import-done")
    expect(done).to_be_visible(timeout=120_000)
    seen = page.evaluate("window.seen")
    assert seen, "the progress bar was never shown"
    assert seen[0][0] in ("queued", "running"), seen  # the bar was there first
    assert page.get_by_role("progressbar").count() == 0  # replaced by the result: polling stopped
    summary = page.get_by_test_id("import-summary").inner_text().replace(",", "")
    assert str(ROWS) in summary
    assert Deal.objects.count() == ROWS
    (run,) = ImportRun.objects.all()
    assert (run.source, run.created, run.user) == ("web", ROWS, manager)
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE
    page.get_by_role("link", name="Job details").click()
    expect(page.get_by_test_id("job-result")).to_contain_text(f"{ROWS} created")


def test_a_refused_import_job_lists_the_problems_in_japanese_then_imports_the_good_rows(
    new_page: NewPage, live_server: LiveServer, transactional_db: None, manager: User, tmp_path: Path, settings: object
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "sato")
    _upload(page, live_server.url, _deals(tmp_path / "mixed.csv", 50, bad=6))
    page.click("button[value=import]")
    problems = page.get_by_test_id("import-problems")
    expect(problems).to_contain_text("負の値は使えません", timeout=60_000)
    expect(page.get_by_test_id("job-error")).to_contain_text("mixed.csv")
    assert not Deal.objects.exists()  # nothing half-done
    page.get_by_test_id("import-valid").click()
    expect(page.get_by_test_id("import-done")).to_be_visible(timeout=60_000)
    assert Deal.objects.count() == 49
    expect(page.get_by_test_id("rejects-download")).to_be_visible()


def test_validate_all_rows_runs_as_a_job_and_comes_back_to_the_review_page_with_the_problems(
    new_page: NewPage, live_server: LiveServer, transactional_db: None, manager: User, tmp_path: Path, settings: object
) -> None:
    """A large file's check does not hold a web worker: the page answers at once with a progress bar, then
    the review page (mapping, preview) shows what the check found; nothing is written."""
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    page = new_page()
    log_in(page, live_server.url, "sato")
    _upload(page, live_server.url, _deals(tmp_path / "big.csv", ROWS, bad=30_000))  # past the preview's first rows
    expect(page.get_by_test_id("import-error")).to_have_count(0)
    page.click("button[value=validate]")
    check = Job.objects.get(kind="import_check")
    expect(page).to_have_url(re.compile(rf"/imports/jobs/{check.pk}/$"))  # answered before the rows are read
    expect(page.get_by_test_id("import-check-job")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/imports/[0-9a-f]{{32}}/\?check={check.pk}$"), timeout=120_000)
    expect(page.get_by_test_id("import-error")).to_contain_text("1 problem found")
    problems = page.get_by_test_id("import-problems")
    expect(problems).to_contain_text("30002")  # the file's row (the header is row 1)
    expect(problems).to_contain_text("negative value not allowed")
    expect(page.get_by_test_id("import-preview")).to_be_visible()  # the review page, as it was
    assert Job.objects.get(pk=check.pk).state == Job.State.FAILED
    assert not Deal.objects.exists()
    assert not ImportRun.objects.exists()  # a validation is not an import: no history line

    # the good rows from here, as before; then a clean file's validation shows what the import will do
    page.get_by_test_id("import-valid").click()
    expect(page.get_by_test_id("import-done")).to_be_visible(timeout=120_000)
    assert Deal.objects.count() == ROWS - 1
    _upload(page, live_server.url, _deals(tmp_path / "clean.csv", 500))
    page.click("button[value=validate]")
    summary = page.get_by_test_id("import-dry-run")
    expect(summary).to_contain_text("Validation passed", timeout=60_000)
    expect(page.get_by_test_id("import-summary")).to_contain_text("500")
    assert Deal.objects.count() == ROWS - 1
