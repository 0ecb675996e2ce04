"""Background jobs in Chromium: a snapshot started from the portfolio answers at once and its progress bar reaches the result."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

import tests.jobs.kinds  # noqa: F401  (the slow test kind, run by the live server's thread)
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from kokyaku.jobs.services import job_enqueue
from kokyaku.portfolio.models import Snapshot
from tests.browser.conftest import NewPage, log_in

pytestmark = pytest.mark.browser

WATCH = """() => {
  window.seen = [];
  const note = () => { const p = document.querySelector('[data-testid=job-progress]');
    if (p) window.seen.push([p.dataset.state, Number(p.querySelector('progress').value)]); };
  note(); new MutationObserver(note).observe(document.body, {subtree: true, childList: true});
}"""


def test_a_snapshot_started_from_the_portfolio_shows_its_progress_until_the_result(
    new_page: NewPage, live_server: LiveServer, transactional_db: None, manager: User, strong_account: object
) -> None:
    page = new_page()
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/portfolio/")
    page.get_by_role("button", name="Compute snapshot now").first.click()
    job = Job.objects.get(kind="snapshot")
    expect(page).to_have_url(re.compile(rf"/jobs/{job.pk}/$"))
    expect(page.get_by_role("progressbar")).to_be_visible()
    result = page.get_by_test_id("job-result")
    expect(result).to_contain_text(re.compile(r"Snapshot \d+ computed: 1 accounts"), timeout=30_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
    assert Snapshot.objects.count() == 1
    result.get_by_role("link", name="Open the portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # the list shows it among the recent jobs
    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_test_id("jobs-recent").locator(f'tr[data-job="{job.pk}"]')).to_contain_text("done")


def test_the_progress_bar_moves_step_by_step_and_a_failure_shows_its_reason_in_japanese(
    new_page: NewPage, live_server: LiveServer, transactional_db: None, manager: User
) -> None:
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "sato")
    job = job_enqueue(actor=manager, kind="test_write", params={"name": "Slow", "steps": 8, "sleep": 0.6, "fail_at": 7})
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    page.evaluate(WATCH)
    expect(page.get_by_test_id("job-error")).to_have_text("row 8: column amount: 'abc' is not a number", timeout=30_000)
    expect(page.get_by_test_id("job-progress")).to_contain_text("失敗")
    seen = page.evaluate("window.seen")
    running = {value for state, value in seen if state == "running"}
    assert len(running) >= 2, seen  # it moved, polled every second
    assert max(running) < 100, seen
    page.get_by_role("button", name="再実行").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    again = Job.objects.get(retry_of=job)
    expect(page.get_by_test_id("job-error")).to_be_visible(timeout=30_000)  # the retry fails the same way, no thread left behind
    assert runner.wait(again.pk).state == Job.State.FAILED
