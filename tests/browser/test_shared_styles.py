"""Styles every app shares: the sub-navigation tabs and the filter bar look the same on every page.

They lived in portfolio.css, which the follow-up and assignment pages do not load, so there the
tabs showed as a run of plain links ("Follow-ups Stale deals Dormant accounts") and the status
filter as a bare full-width select glued to the table.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account
from kokyaku.followups.models import FollowUp
from kokyaku.portfolio.services import snapshot_create
from tests.browser.conftest import NewPage, log_in
from tests.followups.conftest import FIRST
from tests.followups.conftest import book as book  # the fixture, shared with tests/followups

pytestmark = pytest.mark.browser
LINES_OF_TEXT = "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length }"


@pytest.mark.parametrize("path", ["/followups/", "/followups/stale-deals/", "/assignment/", "/portfolio/accounts/"])
def test_sub_navigation_is_a_row_of_tabs(page: Page, live_server: LiveServer, manager: object, path: str) -> None:
    log_in(page, live_server.url, "sato")
    page.goto(live_server.url + path)
    nav = page.locator("nav.subnav")
    assert nav.evaluate("e => getComputedStyle(e).display") == "flex"
    active = nav.locator(".subnav-link.is-active")
    # The current tab is underlined in the accent colour, the others are not.
    assert active.evaluate("e => getComputedStyle(e).borderBottomStyle") == "solid"
    assert active.evaluate("e => getComputedStyle(e).borderBottomColor") != "rgba(0, 0, 0, 0)"


def test_follow_up_filter_is_a_bar_not_a_full_width_select(page: Page, live_server: LiveServer, manager: object) -> None:
    log_in(page, live_server.url, "sato")
    page.goto(live_server.url + "/followups/")
    form = page.locator("form.filters")
    assert form.evaluate("e => getComputedStyle(e).display") == "flex"
    status = page.get_by_label("Status")
    button = form.get_by_role("button", name="Filter")
    # The button sits beside the select, on the same line, not under it.
    select_box, button_box = status.bounding_box(), button.bounding_box()
    assert select_box is not None
    assert button_box is not None
    assert abs(select_box["y"] + select_box["height"] - button_box["y"] - button_box["height"]) < 4


def test_follow_up_queue_does_not_scroll_sideways_on_a_phone(
    new_page: NewPage, live_server: LiveServer, book: dict[str, Account], manager: object
) -> None:
    """The row actions' visually hidden labels (position: absolute) escaped the table's scroll box
    and widened the whole page on a phone: everything could be dragged 100 px sideways."""
    snapshot_create(actor=None, as_of=FIRST)
    assert FollowUp.objects.filter(status="open").exists()
    phone = new_page(locale="ja-JP", width=390)
    log_in(phone, live_server.url, "sato")
    phone.goto(live_server.url + "/followups/")
    expect(phone.get_by_test_id("followups").locator("tr[data-followup]").first).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_retention_row_headers_stay_on_one_line_on_a_phone(
    new_page: NewPage, live_server: LiveServer, strong_account: Account, manager: object
) -> None:
    """At 390 px the row headers broke as "1 / 年" and "2 / 年後", one character a line."""
    phone = new_page(locale="ja-JP", width=390)
    log_in(phone, live_server.url, "sato")
    phone.goto(live_server.url + "/retention/")
    headers = phone.locator("table.data tbody th[scope=row]")
    expect(headers.first).to_be_visible()
    assert headers.count() >= 3
    for i in range(headers.count()):
        cell = headers.nth(i)
        lines = cell.evaluate(LINES_OF_TEXT)
        assert lines == 1, cell.inner_text()


def test_the_assignment_policy_form_uses_the_page_width(page: Page, live_server: LiveServer, manager: object) -> None:
    """.form-wide lived in portfolio.css: the policy form stayed 560 px wide at 1280 px, its rules and
    versions cards squeezed into two 200 px columns and the reps table cut off on the right."""
    log_in(page, live_server.url, "sato")
    page.goto(live_server.url + "/assignment/policy/")
    form = page.get_by_test_id("policy-form")
    box = form.bounding_box()
    assert box is not None
    assert box["width"] > 900
    # The versions list keeps the card's padding (.plain-list zeroed it: the text touched the border).
    versions = form.locator("ul.card-body.plain-list")
    assert versions.evaluate("e => parseFloat(getComputedStyle(e).paddingLeft)") >= 12
