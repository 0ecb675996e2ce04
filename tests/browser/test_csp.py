"""The Content-Security-Policy (issue 15) holds on every page with a chart: no script or handler refused, charts drawn."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import log_in
from tests.portfolio.pages_demo import NOW, PASSWORD, load_demo

PAGES = [
    ("/", None),
    ("/portfolio/", ".js-plotly-plot"),
    ("/portfolio/review/", None),
    ("/portfolio/effort/", ".js-plotly-plot"),
    ("/portfolio/targets/", None),
    ("/prediction/", None),
    ("/retention/", ".js-plotly-plot"),
    ("/followups/", None),
    ("/buyers/", None),
    ("/imports/", None),
    ("/api/docs", ".swagger-ui"),
    ("/admin/", None),
]


@pytest.mark.browser
def test_no_page_breaks_the_content_security_policy(page: Page, live_server: LiveServer) -> None:
    with time_machine.travel(NOW, tick=True):
        load_demo()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, live_server.url, "admin", PASSWORD)
    for path, drawn in PAGES:
        answer = page.goto(live_server.url + path)
        assert answer is not None
        assert answer.status < 400, path
        policy = answer.headers.get("content-security-policy") or ""
        script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src, path
        assert "'unsafe-eval'" not in script_src, path
        if drawn:
            expect(page.locator(drawn).first).to_be_visible()
    assert refused == []


@pytest.mark.browser
def test_a_select_still_submits_its_form_without_an_inline_handler(page: Page, live_server: LiveServer) -> None:
    with time_machine.travel(NOW, tick=True):
        load_demo()
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(live_server.url + "/followups/")
    select = page.locator("select[data-autosubmit]").first
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    select.select_option(values[-1])
    page.wait_for_url(f"**/followups/?*status={values[-1]}*")
