"""The API does what its OpenAPI document says (issue 15): Schemathesis, in-process, as a manager and as a rep.

Every operation of ``/api/openapi.json`` gets Schemathesis's three phases: the document's examples,
its coverage phase (boundary and invalid values derived from each parameter's schema) and a few
generated requests (``EXAMPLES``, positive and negative data) with a fixed seed (``derandomize``):
the same requests on every run. They go through Django's WSGI handler to the test database holding
the demo's records (tests/portfolio/pages_demo.py) and one record of each kind a path takes
(tests/security/conftest.py): about half the generated ids are swapped for real ones, the rep's
own, or another rep's for a manager's reads, so requests reach past the 404. Each answer is
checked: no 5xx, a status code the document lists for the operation, the content type it lists,
and a body that matches the schema of that status (so every error body is the ``{"detail": ...}``
docs/api.md promises).

Nothing is excluded: writes (PATCH, DELETE, imports, snapshots, plans, jobs) run in the test's
transaction, rolled back after each operation; a queued job is dispatched only on commit, which
never comes, so none starts.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kokyaku.api.urls import api
from kokyaku.users.services import api_token_create
from tests.portfolio.pages_demo import Demo
from tests.security.conftest import Records

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# Per operation and role; KOKYAKU_SCHEMA_EXAMPLES=50 for the deeper run of the security review (minutes, not seconds).
EXAMPLES = int(os.environ.get("KOKYAKU_SCHEMA_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, allow_x00=True)
schema.app = WSGIHandler()


@pytest.fixture(scope="module")
def tokens(demo: Demo, django_db_blocker: Any) -> dict[str, str]:
    with django_db_blocker.unblock():
        return {role: api_token_create(user=User.objects.get(username=role), name="schema")[1] for role in ("manager", "rep")}


@pytest.fixture
def in_process(settings: Any) -> Iterator[None]:
    """Requests in the test's transaction: Django's WSGI handler would close the connection after each request.

    Django's own test client disconnects the same signal handlers while it runs a request.
    """
    settings.ALLOWED_HOSTS = ["localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _real_ids(case: schemathesis.Case[Any], ids: dict[str, int | str]) -> None:
    """Swap about half of the generated path ids for real records' (deterministic: by the generated value)."""
    for name, value in list((case.path_parameters or {}).items()):
        if name in ids and name != "kind" and zlib.crc32(str(value).encode()) % 2 == 0:  # not hash(): salted per process
            case.path_parameters[name] = ids[name]


@pytest.mark.parametrize("role", ["manager", "rep"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
    suppress_health_check=list(HealthCheck),
)  # fmt: skip
def test_the_api_answers_as_its_document_says(
    case: schemathesis.Case[Any], role: str, tokens: dict[str, str], records: Records, in_process: None
) -> None:
    own = records.own if case.operation.method.upper() != "GET" or role == "rep" else records.other
    _real_ids(case, {**records.shared, **own})
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS)
