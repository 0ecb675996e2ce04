"""The Content-Security-Policy (issue 15) holds on every page with a chart: no script or handler refused, charts drawn."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import log_in
from tests.portfolio.pages_demo import NOW, PASSWORD, load_demo

# (path, a chart that must have drawn, or None); {account} is an account of the demo's "rep".
PAGES = [
    ("/", None),
    ("/portfolio/", "#scatter .scatterlayer .point"),  # the accounts themselves, not only the axes
    ("/portfolio/accounts/", None),
    ("/portfolio/accounts/{account}/", None),
    ("/portfolio/review/", "#sankey .main-svg"),
    ("/portfolio/effort/", "#effort-chart .main-svg"),
    ("/portfolio/targets/", None),
    ("/portfolio/criteria/", None),
    ("/prediction/", None),
    ("/retention/", "#retention-curves .main-svg"),
    ("/followups/", None),
    ("/followups/stale-deals/", None),
    ("/followups/dormant/", None),
    ("/assignment/", None),
    ("/assignment/policy/", None),
    ("/assignment/accounts/{account}/", None),
    ("/buyers/", None),
    ("/buyers/objections/", None),
    ("/buyers/accounts/{account}/", None),
    ("/jobs/", None),
    ("/imports/", None),
    ("/settings/company/", None),
    ("/tokens/", None),
    ("/api/docs", ".swagger-ui .opblock"),
    ("/admin/", None),
]


@pytest.mark.browser
def test_no_page_breaks_the_content_security_policy(page: Page, live_server: LiveServer) -> None:
    with time_machine.travel(NOW, tick=True):
        demo = load_demo()
    refused: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    page.on("console", lambda m: refused.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None)
    page.on("console", lambda m: refused.append(f"{page.url}: {m.text}") if "CSP violation" in m.text else None)
    page.on("pageerror", lambda e: refused.append(f"script error: {e}"))
    log_in(page, live_server.url, "admin", PASSWORD)
    for path, drawn in PAGES:
        answer = page.goto(live_server.url + path.format(account=demo.rep_account.pk))
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
