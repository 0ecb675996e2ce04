"""No input gives a 500 (issue 15): every URL pattern and every API operation, as each role, with bad input.

The routes are not listed by hand: the web's come from the URL resolver, the API's from the ninja
OpenAPI document, so a new page or endpoint is fuzzed the day it lands. Each is sent bad query
strings (a NUL byte, dates out of every calendar, offsets beyond ±16:00, huge numbers, markup),
bad ids in the path (0, beyond a 64-bit integer, text with a NUL; a real record of each kind first:
a follow-up, a plan, a key person, a job ... from tests/security/conftest.py), and bad bodies (every form field
or schema property set to each bad value, wrong types, broken JSON), as anonymous, a rep, a manager
and an admin. Every answer must be below 500; the API's 4xx answers must be JSON ``{"detail": ...}``
(the shape docs/api.md promises).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kokyaku.api.urls import api
from tests.portfolio.pages_demo import PASSWORD
from tests.security.conftest import Records

# django_db: pytest-django creates the test database only for a run that holds a django_db test, and the
# module-scoped demo relies on it (run alone, this file had no tables).
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

KOKYAKU = Path(__file__).resolve().parents[2] / "kokyaku"
# Values that broke, or could break, a parser, a database or a calendar.
BAD_QUERY = [
    "\x00",
    "0001-01-01",
    "9999-12-31",
    "0001-01",
    "9999-12",
    "0",
    "99999999999999999999999",
    "2026-02-30",
    "2026-01-01T00:00:00+99:00",
    "<a href='https://x.example/'>X</a>",
    "",
]
BAD_BODY = ["\x00", "9999-12-31", "-99999999999999999999999", '=HYPERLINK("https://x.example/")']
BAD_IDS = ["0", "9223372036854775808"]
ROLES = ["anonymous", "rep", "manager", "admin"]
SKIP = ("admin/", "api/", "logout/", "i18n/")  # Django's own; the API is fuzzed from its schema


def _param_names() -> list[str]:
    """Every name a view reads from the query string or a form: request.GET reads, and every form's fields."""
    names: set[str] = set()
    reads = re.compile(r"GET\.get(?:list)?\(\s*\"(\w+)\"|\"(\w+)\" in request\.GET")
    for path in KOKYAKU.rglob("*.py"):
        names.update(n for pair in reads.findall(path.read_text(encoding="utf-8")) for n in pair if n)
    for form in _subclasses(forms.BaseForm):
        if form.__module__.startswith("kokyaku."):
            names.update(getattr(form, "base_fields", {}))
    return sorted(names | {"q", "industry", "region", "until", "cursor", "limit", "offset", "sort", "next"})


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _web_routes() -> list[tuple[str, list[str]]]:
    """(pattern, [names of its int/str path parameters]) of every page outside SKIP."""

    def walk(resolver: URLResolver, prefix: str) -> Iterator[str]:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    routes = []
    for pattern in walk(get_resolver(), ""):
        if not pattern.startswith(SKIP):
            routes.append((pattern, re.findall(r"<(?:\w+:)?(\w+)>", pattern)))
    return routes


def _api_operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix="/api")
    return [
        (method.upper(), path, operation) for path, methods in schema["paths"].items() for method, operation in methods.items()
    ]


@dataclass
class Found:
    failures: list[str]

    def check(self, what: str, response: Any, *, api: bool = False) -> None:
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            self.failures.append(f"{what} -> {response.status_code} {exc[1]!r}" if exc else f"{what} -> {response.status_code}")
        elif api and 400 <= response.status_code < 500 and response.status_code != 405:
            try:
                body = json.loads(response.content)
            except ValueError:
                self.failures.append(f"{what} -> {response.status_code} not JSON: {response.content[:80]!r}")
                return
            if not isinstance(body, dict) or "detail" not in body:
                self.failures.append(f"{what} -> {response.status_code} without detail: {body!r}"[:300])


def _client(role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        assert client.login(username={"rep": "rep"}.get(role, role), password=PASSWORD)
    return client


def _ids(records: Records, name: str) -> list[str]:
    """A parameter's real value first (a record of each kind: tests/security/conftest.py), then the bad ones."""
    if name.endswith("id") and name != "upload_id":
        if name in records.own:
            real = [str(records.own[name])] + ([str(records.other[name])] if name == "account_id" else [])
        else:
            real = [records.shared.get(name, "1")]
        return real + BAD_IDS
    return [records.shared.get(name, "x"), "..%2F..%2Fsecret", "a%00b"]


def _variants(records: Records, template: str, placeholder: str) -> list[str]:
    """``template`` with its parameters filled: real ids first, then each parameter in turn given each bad id."""
    params = re.findall(placeholder, template)

    def fill(name: str | None = None, value: str = "") -> str:
        return re.sub(placeholder, lambda m: value if m.group(1) == name else _ids(records, m.group(1))[0], template)

    return [fill()] + [fill(name, value) for name in params for value in _ids(records, name)[1:]]


WEB_PARAM = r"<(?:\w+:)?(\w+)>"
API_PARAM = r"\{(\w+)\}"


WEB = _web_routes()
NAMES = _param_names()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_answers_500(records: Records, role: str) -> None:
    client, found = _client(role), Found([])
    values = BAD_QUERY if role != "anonymous" else BAD_QUERY[:2]
    for pattern, _params in WEB:
        for path in _variants(records, "/" + pattern, WEB_PARAM):
            for value in values:
                query = dict.fromkeys(NAMES, value)
                found.check(f"{role} GET {path} {value!r}", client.get(path, query))
            for value in BAD_BODY if role != "anonymous" else BAD_BODY[:1]:
                body = dict.fromkeys(NAMES, value)
                found.check(f"{role} POST {path} {value!r}", client.post(path, body))
    assert not found.failures, "\n".join(found.failures)


@pytest.mark.parametrize("role", ROLES)
def test_no_api_operation_answers_500(records: Records, role: str) -> None:
    client, found = _client(role), Found([])
    for method, path, operation in _api_operations():
        params = operation.get("parameters", [])
        query_params = [p["name"] for p in params if p["in"] == "query"]
        paths = _variants(records, path, API_PARAM)
        body_schema = operation.get("requestBody", {}).get("content", {})
        props = _properties(body_schema)
        for url in paths:
            for value in BAD_QUERY if role != "anonymous" else BAD_QUERY[:1]:
                query = dict.fromkeys(query_params, value)
                if method == "GET":
                    found.check(f"{role} GET {url} {value!r}", client.get(url, query), api=True)
                else:
                    qs = "&".join(f"{k}={_quote(v)}" for k, v in query.items())
                    found.check(
                        f"{role} {method} {url}?{value!r}",
                        client.generic(method, f"{url}?{qs}", json.dumps({}), content_type="application/json"),
                        api=True,
                    )
            if method == "GET":
                continue
            bodies: list[str] = ["{", "[]", "null", json.dumps(dict.fromkeys(props, 10**30))]
            bodies += [json.dumps(dict.fromkeys(props, value)) for value in BAD_BODY]
            for body in bodies if role != "anonymous" else bodies[:1]:
                found.check(
                    f"{role} {method} {url} {body[:60]!r}",
                    client.generic(method, url, body, content_type="application/json"),
                    api=True,
                )
            if "multipart/form-data" in body_schema:
                found.check(f"{role} {method} {url} multipart", client.post(url, dict.fromkeys(props, "\x00")), api=True)
    assert not found.failures, "\n".join(found.failures)


def _properties(content: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for media in content.values():
        schema = media.get("schema", {})
        ref = schema.get("$ref")
        if ref:
            schema = api.get_openapi_schema(path_prefix="/api")["components"]["schemas"][ref.split("/")[-1]]
        names += list(schema.get("properties", {}))
    return names


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def test_the_fuzzing_reaches_every_route() -> None:
    """The generators above see the routes there are (a broken walk would pass every test vacuously)."""
    assert len(WEB) > 50
    assert any("<int:account_id>" in p for p, _ in WEB)
    operations = _api_operations()
    assert len(operations) > 40
    assert any(op["operationId"].endswith("account_update") or m == "PATCH" for m, _, op in operations)
    assert {"q", "period", "start", "as_of"} <= set(NAMES)
