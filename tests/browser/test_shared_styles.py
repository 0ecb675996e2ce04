"""Styles every app shares: the sub-navigation tabs and the filter bar look the same on every page.

They lived in portfolio.css, which the follow-up and assignment pages do not load, so there the
tabs showed as a run of plain links ("Follow-ups Stale deals Dormant accounts") and the status
filter as a bare full-width select glued to the table.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


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
    assert abs(status.bounding_box()["y"] + status.bounding_box()["height"] - button.bounding_box()["y"] - button.bounding_box()["height"]) < 4
