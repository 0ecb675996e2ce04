"""The API docs in a real browser: Swagger UI renders offline, and the session works with CSRF."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Route
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account, Activity
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_every_endpoint_without_leaving_the_server(
    page: Page, live_server: LiveServer, strong_account: Account
) -> None:
    local = urlparse(live_server.url).netloc
    outside: list[str] = []

    def block_outside(route: Route) -> None:
        if urlparse(route.request.url).netloc != local:
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block_outside)
    log_in(page, live_server.url, "tanaka")
    page.goto(f"{live_server.url}/api/docs")
    page.locator(".opblock-summary-path", has_text="/api/accounts/{account_id}").first.wait_for()
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {"/api/accounts", "/api/deals", "/api/activities", "/api/reps", "/api/teams"} <= {p.strip() for p in paths}
    assert outside == []


@pytest.mark.django_db(transaction=True)
def test_a_logged_in_browser_writes_only_with_the_csrf_token(
    page: Page, live_server: LiveServer, strong_account: Account
) -> None:
    log_in(page, live_server.url, "tanaka")
    page.goto(f"{live_server.url}/api/docs")
    script = """async ([account, withToken]) => {
        const headers = {"Content-Type": "application/json"};
        if (withToken) headers["X-CSRFToken"] = document.body.dataset.csrfToken;
        const r = await fetch("/api/activities", {method: "POST", headers, body: JSON.stringify({account, kind: "call"})});
        return [r.status, await r.json()];
    }"""
    status, body = page.evaluate(script, [strong_account.pk, False])
    assert (status, body["detail"]) == (403, "CSRF check Failed")
    assert not Activity.objects.exists()
    status, body = page.evaluate(script, [strong_account.pk, True])
    assert status == 201, body
    assert body["rep"]["name"] == "Tanaka Hiroshi"
    assert Activity.objects.filter(account=strong_account).count() == 1
