"""Browser fixtures for every app's Playwright tests: Debian's Chromium against pytest-django's live server.

Use them like this (the test gets a transactional database because it uses ``live_server``):

    @pytest.mark.browser
    def test_something(page: Page, live_server: LiveServer, strong_rep: Rep) -> None:
        log_in(page, live_server.url, "tanaka")
        ...

``page`` is an English (en-US) desktop page; ``new_page(locale="ja-JP", width=390)`` makes others.
Every context and page is closed after its test; the browser lives for the whole session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import CHROMIUM, PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
JOB_TIMEOUT_MS = 60_000  # what a background job (an import, a validation) shows when it ends: a busy machine is slower
# expect() keeps its own timeout (5 s by default), not the context's: a busy two-core machine
# drew the Plotly scatter after more than 5 s and failed a test whose page was right.
expect.set_options(timeout=TIMEOUT_MS)

NewPage = Callable[..., Page]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch headless Chromium once per test session."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """Return a factory of fresh pages, each in its own context (own cookies, own Accept-Language)."""
    contexts: list[BrowserContext] = []

    def make(*, locale: str = "en-US", width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """An English page at desktop size."""
    return new_page()


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form and wait for the home page."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def upload(page: Page, base_url: str, kind: str, path: Path) -> None:
    """Upload a file of ``kind`` on the import page; the review page (preview, column picker) comes next."""
    page.goto(f"{base_url}/imports/")
    page.select_option("#id_kind", kind)
    page.set_input_files("#id_file", str(path))
    page.click("[data-testid=import-upload-form] button[type=submit]")
