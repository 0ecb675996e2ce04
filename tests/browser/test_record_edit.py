"""In Chromium: editing where you read (an account's owner, a deal's amount, both in the history), and Review across a
criteria change (re-classification apart from movement)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account, Change, Deal
from kokyaku.portfolio.selectors import team_matrix, zone_moves
from kokyaku.portfolio.services import criteria_create, snapshot_create
from tests.browser.conftest import NewPage, log_in
from tests.portfolio.pages_demo import AS_OF, PASSWORD, load_demo

pytestmark = pytest.mark.browser


def test_a_manager_edits_an_account_and_a_deal_and_sees_who_changed_what(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    demo = load_demo()
    account = demo.rep_account
    deal = Deal.objects.filter(account=account).order_by("-opened_on", "id").first()
    assert deal is not None
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/accounts/{account.pk}/")
    expect(page.get_by_test_id("stale-notice")).to_have_count(0)

    page.get_by_test_id("account-edit").click()
    page.get_by_label("担当者").select_option(str(demo.rep2.pk))
    page.get_by_label("購買タイプ").select_option("skeptic")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("account-name")).to_be_visible()
    history = page.get_by_test_id("change-history")
    expect(history).to_contain_text(demo.rep.name)
    expect(history).to_contain_text(demo.rep2.name)
    expect(history).to_contain_text("懐疑主義者")
    expect(page.get_by_test_id("stale-notice")).to_be_visible()

    page.get_by_test_id("deal-edit").first.click()
    page.get_by_label("金額").fill("4321000")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("change-history")).to_contain_text("4,321,000")  # grouped digits
    assert Deal.objects.get(pk=deal.pk).amount == 4321000
    assert Account.objects.get(pk=account.pk).owner_id == demo.rep2.pk
    assert Change.objects.filter(actor__username="manager").count() == 3


def test_review_after_a_criteria_change_shows_re_classification_apart_from_movement(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    demo = load_demo()
    criteria_create(actor=None, price_mode="absolute", price_low=300_000, price_high=3_000_000)
    new = snapshot_create(actor=None, as_of=AS_OF)
    raw = zone_moves(new, previous=demo.after).total
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/review/?before={demo.after.pk}&after={new.pk}")
    expect(page.get_by_test_id("criteria-changed")).to_be_visible()
    expect(page.get_by_test_id("shift-moved")).to_contain_text("(0)")
    expect(page.get_by_test_id("moves-table").locator("tbody tr td.empty")).to_have_count(1)
    page.get_by_test_id("shift-reclassified").click()
    expect(page.get_by_test_id("shift-reclassified")).to_contain_text(f"({raw})")
    expect(page.get_by_test_id("moves-table").locator("tbody tr")).to_have_count(min(raw, 50))
    # The rep filter is a search box (no option per rep): typing a rep's name picks them.
    page.locator("#review-owner").fill(demo.rep.name)
    expect(page.locator("[data-testid=review-pick] input[name=owner]")).to_have_value(str(demo.rep.pk))
    page.get_by_role("button", name="比較").click()
    expect(page.locator("#review-owner")).to_have_value(demo.rep.name)
    expect(page.locator("[data-testid=review-pick] input[name=owner]")).to_have_value(str(demo.rep.pk))
    expect(page.get_by_test_id("criteria-changed")).to_be_visible()


def test_a_rep_sees_their_own_heatmap_and_scatter_on_my_portfolio(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    demo = load_demo()
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "rep", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/mine/")
    expect(page.get_by_test_id("matrix")).to_be_visible()
    expect(page.locator("#scatter .main-svg").first).to_be_attached()  # Plotly drew it
    cell = team_matrix(demo.after, owner_id=demo.rep.pk).cells[0][0]
    page.get_by_test_id("matrix-cell-high-high").click()
    expect(page).to_have_url(re.compile(r"/portfolio/mine/\?.*price_band=high"))
    expect(page.get_by_test_id("portfolio-table").locator("tbody tr")).to_have_count(max(cell.accounts, 1))


def test_on_a_phone_the_expected_value_is_on_screen_and_the_legend_clear_of_the_axis_title(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    load_demo()
    page = new_page(locale="ja-JP", width=390, height=844)
    log_in(page, live_server.url, "rep", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/mine/")
    header = page.get_by_test_id("portfolio-table").get_by_role("columnheader", name=re.compile("期待値"))
    box = header.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    expect(page.locator("#scatter .main-svg").first).to_be_attached()
    legend = page.locator("#scatter .legend").first.bounding_box()
    title = page.locator("#scatter .xtitle").first.bounding_box()
    assert legend is not None
    assert title is not None
    assert legend["y"] + legend["height"] <= title["y"] or title["y"] + title["height"] <= legend["y"]
