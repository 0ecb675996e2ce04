"""The rights matrix (issue 15): every route of the URL configuration and of the API's routers, every role.

The routes are not listed here: they come from Django's URL resolver and ninja's OpenAPI document, and
each must have a rule in :data:`kokyaku.crm.routes.ROUTES` (a new page or endpoint without one fails
``test_every_route_has_a_rule``). Each route is then sent, as anonymous, as a rep on their own record,
as the same rep on another rep's record, as a manager and as an admin, and must be let in or refused
exactly as its rule says:

- anonymous: the login page (web) or 401 (API), except on ``public`` routes;
- refused: 403;
- let in: anything but 401, 403 or the login page (a 400 or 404 of a body or id the test does not
  make valid is fine: the question here is only whether the door is open).

A write's body is the smallest one the API's schema accepts (required fields, the record's own ids), so
an own-only rule is reached rather than stopped by validation. Each request runs in a savepoint rolled
back after it, so no role's write changes what the next one sees. One demo-sized fixture, the test client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kokyaku.api.urls import api
from kokyaku.crm.permissions import RIGHTS
from kokyaku.crm.routes import ROUTES
from kokyaku.users.roles import Role, role_permissions
from tests.portfolio.pages_demo import PASSWORD
from tests.security.conftest import Records

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DJANGOS_OWN = ("admin/", "i18n/", "logout/", "api/")  # the API's routes come from its schema below
ROLES = ("anonymous", "rep_own", "rep_other", "manager", "admin")
KINDS = {"public", "login", "manager"}


def _web_routes() -> Iterator[tuple[str, list[str]]]:
    """(pattern, its HTTP methods) of every page: the methods its view allows, GET and POST otherwise."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, Any]]:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.callback

    for pattern, _view in walk(get_resolver(), ""):
        if not pattern.startswith(DJANGOS_OWN):
            yield pattern, ["GET", "POST"]


def _api_routes() -> Iterator[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix="/api")
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


SCHEMA = api.get_openapi_schema(path_prefix="/api")


def test_every_route_has_a_rule() -> None:
    web = {pattern for pattern, _ in _web_routes()}
    declared_web = {key.split(" ", 1)[1] for key in ROUTES if not key.split(" ", 1)[1].startswith("/api/")}
    api_keys = {f"{method} {path}" for method, path, _ in _api_routes()}
    declared_api = {key for key in ROUTES if key.split(" ", 1)[1].startswith("/api/")}
    assert sorted(web - declared_web) == [], "pages without a rule in kokyaku/crm/routes.py ROUTES"
    assert sorted(api_keys - declared_api) == [], "API operations without a rule in kokyaku/crm/routes.py ROUTES"
    assert sorted(declared_web - web) == [], "rules for pages that no longer exist"
    assert sorted(declared_api - api_keys) == [], "rules for API operations that no longer exist"
    unknown = {key: rule for key, rule in ROUTES.items() if rule not in KINDS and rule not in RIGHTS}
    assert unknown == {}, "a rule must be public, login, manager or a write of RIGHTS"
    assert len(web) > 60
    assert len(api_keys) > 60


def test_a_route_without_a_rule_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above is not vacuous: drop one rule and it fails."""
    trimmed = dict(ROUTES)
    del trimmed["POST buyers/accounts/<int:account_id>/objections/"]
    monkeypatch.setattr("tests.security.test_rights_matrix.ROUTES", trimmed)
    with pytest.raises(AssertionError, match="pages without a rule"):
        test_every_route_has_a_rule()


KIND_OF = {"/api/imports/{kind}": "accounts"}  # elsewhere {kind} is a job's kind


def _fill(route: str, ids: dict[str, int], shared: dict[str, str]) -> str:
    if route in KIND_OF:
        shared = {**shared, "kind": KIND_OF[route]}

    def value(name: str) -> str:
        return str(ids[name]) if name in ids else shared[name]

    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), route)
    return re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), route)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return SCHEMA["components"]["schemas"][ref.split("/")[-1]] if ref else schema


def _sample(name: str, schema: dict[str, Any], ids: dict[str, int]) -> Any:
    """The smallest valid value of a body property; a record id where the property names one."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return _sample(name, next(s for s in schema["anyOf"] if s.get("type") != "null"), ids)
    if name in ids:
        return ids[name]
    if name == "account":
        return ids["account_id"]
    if name in {"deal", "deal_id"}:
        return ids["deal_id"]
    if name in NAMED:
        return NAMED[name]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if schema.get("format") == "date":
        return "2026-11-20"
    return "matrix"


NAMED = {"period": "2026-11", "amount": "1000"}


def _body(operation: dict[str, Any], ids: dict[str, int]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    schema = _resolve(content.get("application/json", {}).get("schema", {}))
    body = {
        name: _sample(name, prop, ids)
        for name, prop in schema.get("properties", {}).items()
        if name in schema.get("required", [])
    }
    return json.dumps(body)


def _expected(rule: str, role: str) -> bool:
    """True when the rule lets the role in."""
    if rule == "public":
        return True
    if role == "anonymous":
        return False
    if rule == "login":
        return True
    if rule == "manager":
        return role in {"manager", "admin"}
    right = RIGHTS[rule]
    held = set(role_permissions({"manager": Role.MANAGER, "admin": Role.ADMIN}.get(role, Role.REP)))
    if not set(right.perms) <= held:
        return False
    return not (role == "rep_other" and right.own_only)


def _let_in(response: Any, *, api: bool) -> bool:
    if response.status_code in (401, 403):
        return False
    if api:
        return True
    return not (response.status_code == 302 and response.get("Location", "").startswith("/login/")) and not _refused_by_message(
        response
    )


def _clients() -> dict[str, Client]:
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, username in (("rep_own", "rep"), ("rep_other", "rep"), ("manager", "manager"), ("admin", "admin")):
        client = Client(raise_request_exception=False)
        assert client.login(username=username, password=PASSWORD)
        clients[role] = client
    return clients


# A valid form for the pages whose view checks the form before the right (so a refusal is reached).
WEB_FORMS: dict[str, dict[str, str]] = {
    "followups/<int:followup_id>/complete/": {"outcome": "contacted"},
    "followups/<int:followup_id>/reassign/": {"assignee": "{rep_id}", "due_on": "2026-12-01"},
    "assignment/accounts/<int:account_id>/": {"action": "release", "reason": "matrix"},
    "buyers/accounts/<int:account_id>/suggestion/": {"decision": "accept"},
    "followups/accounts/<int:account_id>/departures/record/": {"churned_on": "2026-11-01", "reason": "matrix"},
}
# The refusals a page shows as a message on the page it sends back to, instead of a 403.
REFUSALS = {str(r.refused) for r in RIGHTS.values()} | {str(r.not_owner) for r in RIGHTS.values() if r.not_owner}


def _refused_by_message(response: Any) -> bool:
    storage = getattr(response.wsgi_request, "_messages", None)
    return any(str(m) in REFUSALS for m in getattr(storage, "_queued_messages", []))


def _send(client: Client, method: str, url: str, body: str | dict[str, str] | None) -> Any:
    with transaction.atomic():
        if body is None or isinstance(body, dict):
            response = client.generic(method, url) if method != "POST" else client.post(url, body or {})
        else:
            response = client.generic(method, url, body, content_type="application/json")
        transaction.set_rollback(True)
    return response


def test_every_role_is_let_in_or_refused_as_each_route_says(records: Records) -> None:
    clients = _clients()
    wrong: list[str] = []
    tried = 0
    operations = {f"{method} {path}": op for method, path, op in _api_routes()}
    for key, rule in ROUTES.items():
        method, route = key.split(" ", 1)
        is_api = route.startswith("/api/")
        for role in ROLES:
            ids = records.other if role == "rep_other" else records.own
            url = _fill(route, ids, records.shared) if is_api else "/" + _fill(route, ids, records.shared)
            body: str | dict[str, str] | None = None
            content = operations[key].get("requestBody", {}).get("content", {}) if is_api else {}
            if "multipart/form-data" in content:
                body = {"file": SimpleUploadedFile("a.csv", b"external_id,name\nM-1,Matrix\n")}  # type: ignore[dict-item]
            elif is_api and method != "GET":
                body = _body(operations[key], ids)
            elif route in WEB_FORMS:
                body = {k: _fill(v.replace("{", "<").replace("}", ">"), ids, records.shared) for k, v in WEB_FORMS[route].items()}
            response = _send(clients[role], method, url, body)
            tried += 1
            got = _let_in(response, api=is_api)
            if got != _expected(rule, role):
                wrong.append(f"{role:9} {method} {url} ({rule}): {response.status_code} {'let in' if got else 'refused'}")
            elif not got and role == "anonymous" and is_api:
                assert response.status_code == 401, f"{method} {url}: anonymous got {response.status_code}"
    assert wrong == [], "\n".join(wrong)
    assert tried == len(ROUTES) * len(ROLES)


class _Markup(HTMLParser):
    """Collects what a Content-Security-Policy without 'unsafe-inline' would refuse on a page."""

    def __init__(self, nonce: str) -> None:
        super().__init__()
        self.nonce = nonce
        self.refused: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        handlers = [name for name, _ in attrs if name.startswith("on")]
        if handlers:
            self.refused.append(f"<{tag} {' '.join(handlers)}>")
        for name in ("href", "src", "action", "formaction"):
            if (named.get(name) or "").strip().lower().startswith("javascript:"):
                self.refused.append(f"<{tag} {name}=javascript:>")
        inline = tag == "script" and "src" not in named and named.get("type") not in ("application/json", "application/ld+json")
        if inline and (not self.nonce or named.get("nonce") != self.nonce):
            self.refused.append(f"<script> without the page's nonce ({named.get('nonce')!r})")


@pytest.mark.parametrize("role", ["anonymous", "rep_own", "manager"])
def test_no_page_has_markup_the_content_security_policy_refuses(records: Records, role: str) -> None:
    """Every page, read by anonymous, a rep and a manager: each inline script carries the nonce the header names;
    no on* handler, no javascript: URL. The browser test (tests/browser/test_csp.py) checks a few in Chromium."""
    client = _clients()[role]
    found: list[str] = []
    pages = 0
    for key in ROUTES:
        method, route = key.split(" ", 1)
        if method != "GET" or route.startswith("/api/"):
            continue
        response = _send(client, "GET", "/" + _fill(route, records.own, records.shared), None)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        policy = response.get("Content-Security-Policy", "")
        match = re.search(r"script-src[^;]*'nonce-([^']+)'", policy)  # only on a page that asked for one
        assert "script-src" in policy, route
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0], route
        parser = _Markup(match.group(1) if match else "")
        parser.feed(response.content.decode())
        found += [f"{route}: {what}" for what in parser.refused]
    assert found == [], "\n".join(found)
    assert pages >= {"anonymous": 1, "rep_own": 20, "manager": 30}[role]  # the pages each reads (others answer 403)
