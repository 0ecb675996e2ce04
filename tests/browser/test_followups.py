"""The follow-up queue in Chromium: a rep completes a follow-up; a reactivation closes one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account, Rep
from kokyaku.followups.models import FollowUp
from kokyaku.portfolio.services import snapshot_create
from tests.browser.conftest import NewPage, log_in
from tests.followups.conftest import FIRST, won
from tests.followups.conftest import book as book  # the fixture, shared with tests/followups

pytestmark = pytest.mark.browser


def test_a_rep_completes_a_follow_up(page: Page, live_server: LiveServer, book: dict[str, Account]) -> None:
    snapshot_create(actor=None, as_of=FIRST)
    task = FollowUp.objects.get(account=book["quiet"])
    log_in(page, live_server.url, "suzuki")
    expect(page.get_by_test_id("home-followups")).to_contain_text("Quiet Co")
    page.get_by_role("link", name="Follow-ups", exact=True).first.click()
    row = page.locator(f'tr[data-followup="{task.pk}"]')
    expect(row).to_contain_text("Quiet Co")
    row.get_by_label("Outcome").select_option("meeting")
    row.get_by_label("Note").fill("Visit booked for Tuesday")
    row.get_by_role("button", name="Done").click()
    expect(page.locator(".message-success")).to_contain_text("Follow-up of Quiet Co done.")
    expect(page.locator(f'tr[data-followup="{task.pk}"]')).to_have_count(0)  # the list shows open ones
    task.refresh_from_db()
    assert (task.status, task.outcome, task.note) == ("done", "meeting", "Visit booked for Tuesday")
    page.get_by_label("Status").select_option("done")
    expect(page.locator(f'tr[data-followup="{task.pk}"]')).to_contain_text("Visit booked for Tuesday")


def test_a_reactivation_closes_a_follow_up(
    new_page: NewPage, live_server: LiveServer, book: dict[str, Account], developing_rep: Rep, manager: object
) -> None:
    today = timezone.localdate()
    snapshot_create(actor=None, as_of=today - timedelta(days=30))
    task = FollowUp.objects.get(account=book["quiet"])
    won(book["quiet"], developing_rep, today - timedelta(days=3), "D-AGAIN", amount=320_000)  # it bought again

    boss = new_page(locale="ja-JP")
    log_in(boss, live_server.url, "sato")
    boss.get_by_test_id("compute-snapshot").first.get_by_role("button").click()  # the next snapshot finds the purchase
    expect(boss.locator(".message-success")).to_be_visible()
    boss.goto(f"{live_server.url}/followups/?status=all")
    row = boss.locator(f'tr[data-followup="{task.pk}"]')
    expect(row.get_by_test_id("status")).to_contain_text("再購入")
    queue = boss.get_by_test_id("queue-by-rep").locator(f'tr[data-rep="{developing_rep.pk}"]')
    expect(queue.locator("td.num").nth(3)).to_have_text("1")  # bought again
    expect(boss.get_by_test_id("reactivations-by-month")).to_contain_text((today - timedelta(days=3)).strftime("%Y-%m"))
    task.refresh_from_db()
    assert (task.status, task.outcome, task.reactivated_on) == ("done", "reactivated", today - timedelta(days=3))


def test_a_rep_records_a_departure_on_the_account_page_in_japanese(
    new_page: NewPage, live_server: LiveServer, book: dict[str, Account]
) -> None:
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "suzuki")
    page.goto(f"{live_server.url}/portfolio/accounts/{book['quiet'].pk}/")
    panel = page.get_by_test_id("departures")  # loaded by HTMX after the page
    expect(panel).to_contain_text("離反の記録はありません")
    panel.get_by_label("離反日").fill((timezone.localdate() - timedelta(days=2)).isoformat())
    panel.get_by_label("理由").fill("競合に切り替えると連絡あり")
    panel.get_by_role("button", name="離反を記録").click()
    expect(page.locator(".message-success")).to_contain_text("Quiet Co の離反を記録しました")
    expect(page.get_by_test_id("departures")).to_contain_text("競合に切り替えると連絡あり")
    page.get_by_test_id("departure-withdraw").click()
    expect(page.locator(".message-success")).to_contain_text("取り消しました")
    expect(page.get_by_test_id("departures")).to_contain_text("に取り消し")
    assert book["quiet"].churns.get().withdrawn_at is not None
