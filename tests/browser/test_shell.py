"""The web shell in a real browser: log in, read the home page, switch language, log out, be refused."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account, Rep
from kokyaku.demo.services import DEMO_PASSWORD, demo_load
from tests.browser.conftest import NewPage, log_in

pytestmark = pytest.mark.browser


def test_a_rep_logs_in_sees_home_switches_to_japanese_and_logs_out(
    page: Page, live_server: LiveServer, strong_account: Account, developing_account: Account
) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    log_in(page, live_server.url, "tanaka")

    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    expect(page.locator(".whoami")).to_contain_text("Tanaka Hiroshi")
    expect(page.get_by_test_id("accounts")).to_have_text("2")
    expect(page.get_by_test_id("my-accounts")).to_have_text("1")
    expect(page.get_by_test_id("recent-deals")).to_contain_text("Line upgrade")

    page.get_by_role("button", name="日本語").click()
    expect(page.get_by_role("heading", name="ホーム", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_text("最近の商談")).to_be_visible()

    page.goto(f"{live_server.url}/login/")  # already logged in: the login page sends you home
    expect(page).to_have_url(f"{live_server.url}/")

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="Kokyaku にログイン")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")


def test_a_rep_is_refused_a_manager_only_page(page: Page, live_server: LiveServer, strong_rep: Rep) -> None:
    log_in(page, live_server.url, "tanaka")
    expect(page.get_by_role("link", name="Company settings")).to_have_count(0)
    response = page.goto(f"{live_server.url}/settings/company/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    expect(page.get_by_test_id("company-settings-form")).to_have_count(0)


def test_a_manager_changes_the_fiscal_year_start_in_the_browser(page: Page, live_server: LiveServer, manager: object) -> None:
    log_in(page, live_server.url, "sato")
    page.get_by_role("link", name="Company settings").click()
    page.get_by_label("Fiscal year starts in").select_option(label="January")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Company settings saved.")).to_be_visible()
    expect(page.get_by_label("Fiscal year starts in")).to_have_value("1")


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_an_inline_forms_inputs_and_button_share_a_line_whatever_their_help_text(
    new_page: NewPage, live_server: LiveServer, manager: object, locale: str
) -> None:
    """The conversion-rate form: "Rate" has two lines of help, "Currency to convert" one; aligned at the bottom,
    the rate's input sat 15 px above the currency's. Every inline form on the page is checked."""
    page = new_page(locale=locale, width=1280)
    log_in(page, live_server.url, "sato")
    for url, count in (("/settings/company/", 2), ("/buyers/objections/", 1)):
        page.goto(f"{live_server.url}{url}")
        _inline_forms_line_up(page, count)


def _inline_forms_line_up(page: Page, count: int) -> None:
    """In each inline form, the inputs of the fields on one row (a wide form wraps) start at the same height,
    and the button's middle is on the line of the last row's inputs."""
    probe = """form => Array.from(form.querySelectorAll(':scope > .field')).map(f => ({
        row: Math.round(f.getBoundingClientRect().top),
        top: f.querySelector('input, select, textarea').getBoundingClientRect().top,
        bottom: f.querySelector('input, select, textarea').getBoundingClientRect().bottom}))"""
    forms = page.locator("form.form-inline")
    assert forms.count() >= count
    for i in range(forms.count()):
        form = forms.nth(i)
        fields = form.evaluate(probe)
        rows: dict[int, list[float]] = {}
        for f in fields:
            rows.setdefault(f["row"], []).append(f["top"])
        assert sum(len(tops) for tops in rows.values()) >= 2, fields
        for tops in rows.values():
            assert max(tops) - min(tops) <= 1, fields
        last = next(f for f in fields if f["row"] == max(rows))
        button = form.locator("> .btn, > .form-actions .btn").first.bounding_box()
        assert button is not None
        middle = button["y"] + button["height"] / 2
        assert last["top"] <= middle <= last["bottom"], (last, button)


def test_the_page_language_follows_the_browsers_accept_language(new_page: NewPage, live_server: LiveServer) -> None:
    page = new_page(locale="ja-JP")
    page.goto(f"{live_server.url}/login/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", name="Kokyaku にログイン")).to_be_visible()
    expect(page.get_by_role("button", name="ログイン")).to_be_visible()


def test_the_home_page_fits_a_phone_screen_without_sideways_scrolling(
    new_page: NewPage, live_server: LiveServer, strong_account: Account
) -> None:
    page = new_page(width=390, height=844)
    log_in(page, live_server.url, "tanaka")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_rep_creates_an_api_token_sees_it_once_and_revokes_it(page: Page, live_server: LiveServer, strong_rep: Rep) -> None:
    log_in(page, live_server.url, "tanaka")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("nightly export")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("new-token").locator("code.secret")
    expect(secret).to_contain_text("kky_")
    page.goto(f"{live_server.url}/tokens/")  # once we navigate away the token is never shown again
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(page.get_by_test_id("tokens")).to_contain_text("nightly export")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token revoked.")).to_be_visible()
    expect(page.get_by_test_id("tokens")).to_contain_text("You have no API tokens.")


@pytest.mark.parametrize(
    ("username", "role_badge", "role_link"),
    [("rep", "Rep", "My portfolio"), ("rep2", "Rep", "My portfolio"),
     ("manager", "Manager", "Company settings"), ("admin", "Administrator", "Django admin")],
)  # fmt: skip
@override_settings(DEBUG=True)  # a server with DEBUG off lists no demo logins (tests/security/test_accounts.py)
def test_each_demo_login_works_in_the_browser(
    page: Page, live_server: LiveServer, username: str, role_badge: str, role_link: str
) -> None:
    demo_load(actor=None, accounts=30, seed=1)
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_test_id("demo-logins")).to_contain_text(username)
    log_in(page, live_server.url, username, DEMO_PASSWORD)
    expect(page.locator(".role-badge")).to_have_text(role_badge)
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    link = page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=role_link)
    link.click()
    expect(page.locator("body")).not_to_contain_text("You do not have access to this page")
    if username == "admin":
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    else:
        expect(page.get_by_role("link", name=role_link).first).to_have_class(re.compile(r"is-active"))
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")


@pytest.mark.parametrize("username", ["manager", "admin"])
@override_settings(DEBUG=True)
def test_every_main_navigation_link_is_on_screen_at_desktop_width_in_japanese(
    new_page: NewPage, live_server: LiveServer, username: str
) -> None:
    """A manager's Japanese navigation (15 links) was wider than a 1280 px screen: "API ドキュメント"
    was cut off at the right edge of a strip that scrolled sideways. It wraps to a second line instead."""
    demo_load(actor=None, accounts=30, seed=1)
    page = new_page(locale="ja-JP", width=1280, height=800)
    log_in(page, live_server.url, username, DEMO_PASSWORD)
    links = page.locator("nav.mainnav .nav-link")
    expect(links.first).to_be_visible()
    assert links.count() >= 13
    nav = page.locator("nav.mainnav .mainnav-inner")
    assert nav.evaluate("el => el.scrollWidth - el.clientWidth") <= 0
    viewport_width = page.evaluate("window.innerWidth")
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None
        assert box["x"] >= 0, links.nth(index).inner_text()
        assert box["x"] + box["width"] <= viewport_width, links.nth(index).inner_text()
    # the settings and developer links wrap as one group: all on one line, the last one at the right
    tops = page.locator("nav.mainnav .nav-end .nav-link").evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")
    assert len(tops) >= 3
    assert len(set(tops)) == 1
