"""What the Schemathesis run found (issue 15, item 8), each kept as its own test: the document and the answers agree."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kokyaku.buyers.models import KeyPerson
from kokyaku.crm.models import Deal
from tests.portfolio.pages_demo import PASSWORD, Demo

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture(scope="module")
def document(demo: Demo, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        schema: dict[str, Any] = _client("rep").get("/api/openapi.json").json()
    return schema


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name)
    return found


def test_snapshot_is_an_id_or_the_enumeration_latest(document: dict[str, Any], demo: Demo) -> None:
    for path in ("/api/portfolio/rows", "/api/portfolio/matrix", "/api/portfolio/effort"):
        forms = _parameter(document, path, "snapshot")["schema"]["anyOf"]
        assert {"type": "string", "enum": ["latest"]} in forms, path
        assert any(f.get("type") == "integer" and f.get("minimum") == 1 for f in forms), path
    rep = _client("rep")
    assert rep.get("/api/portfolio/matrix", {"snapshot": "latest"}).json()["snapshot"]["id"] == demo.after.pk
    assert rep.get("/api/portfolio/matrix", {"snapshot": demo.before.pk}).json()["snapshot"]["id"] == demo.before.pk
    wrong = rep.get("/api/portfolio/matrix", {"snapshot": "newest"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"][:2] == ["query", "snapshot"]


def test_a_target_period_has_a_pattern_the_api_holds_to(document: dict[str, Any], demo: Demo) -> None:
    pattern = _parameter(document, "/api/portfolio/targets", "period")["schema"]["pattern"]
    assert "H[12]" in pattern
    assert "Q[1-4]" in pattern
    manager = _client("manager")
    for good in ("FY2026", "FY2026-H2", "FY2026-Q1", "2026-04"):
        assert manager.get("/api/portfolio/targets", {"period": good}).status_code == 200, good
    for bad in ("2026-13", "FY26", "Q1", "0001-01"):
        answer = manager.get("/api/portfolio/targets", {"period": bad})
        assert answer.status_code == 422, bad
        assert answer.json()["detail"][0]["loc"] == ["query", "period"], bad


def test_every_operation_documents_401_and_503_and_writes_403_and_422(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert {"401", "503"} <= codes, (method, path)
            if method != "get":
                assert "403" in codes, (method, path)
            if op.get("parameters") or "requestBody" in op:
                assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
                    ("ValidationErrorOut", "ImportInvalidOut")
                ), (method, path)
    item = document["components"]["schemas"]["InvalidField"]
    assert set(item["required"]) == {"type", "loc", "msg"}


def test_the_import_history_and_rejects_document_their_refusals(document: dict[str, Any], demo: Demo) -> None:
    assert {"401", "403", "422"} <= set(document["paths"]["/api/imports"]["get"]["responses"])
    rejects = document["paths"]["/api/imports/{run_id}/rejects"]["get"]["responses"]
    assert "text/csv" in rejects["200"]["content"]
    assert {"401", "403", "404"} <= set(rejects)
    assert _client("rep").get("/api/imports").status_code == 403
    assert _client("manager").get("/api/imports", {"limit": "none"}).status_code == 422


def test_an_import_422_of_ninja_and_of_the_rows_share_one_documented_schema(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["ImportInvalidOut"]["properties"]["detail"]
    kinds = {f.get("type") for f in schema["anyOf"]}
    assert kinds == {"string", "array"}
    answer = _client("manager").post("/api/imports/whales")  # no such kind, no file: ninja's list
    assert answer.status_code == 422
    assert isinstance(answer.json()["detail"], list)


def test_null_for_an_optional_text_clears_it_and_for_a_required_one_is_a_400(demo: Demo) -> None:
    rep = _client("rep")
    deal = Deal.objects.filter(owner=demo.rep).order_by("id").first()
    assert deal is not None
    answer = rep.patch(f"/api/deals/{deal.pk}", {"lost_note": None}, content_type="application/json")
    assert answer.status_code == 200, answer.content  # was a 500 (NOT NULL)
    assert Deal.objects.get(pk=deal.pk).lost_note == ""
    answer = rep.patch(f"/api/accounts/{demo.rep_account.pk}", {"name": None}, content_type="application/json")
    assert answer.status_code == 400, answer.content
    person = KeyPerson.objects.create(account=demo.rep_account, name="Ito", benefit="ROI")
    answer = rep.patch(f"/api/buyers/key-persons/{person.pk}", {"benefit": None}, content_type="application/json")
    assert answer.status_code == 200, answer.content  # was a 500
    assert KeyPerson.objects.get(pk=person.pk).benefit == ""


def test_an_unknown_objection_ordering_is_a_422_not_a_500(document: dict[str, Any], demo: Demo) -> None:
    assert set(_parameter(document, "/api/buyers/objections", "ordering")["schema"]["anyOf"][0]["enum"]) == {
        "date",
        "-date",
        "id",
        "-id",
    }
    answer = _client("rep").get("/api/buyers/objections", {"ordering": "null"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "ordering"


def test_a_number_beyond_64_bits_is_never_a_500(demo: Demo) -> None:
    # SQLite cannot bind it (OverflowError was a 500): a 400 naming the limit; PostgreSQL compares it and finds nothing.
    answer = _client("rep").get("/api/portfolio/matrix", {"owner": "224604450734454157082624"})
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 400:
        assert "9223372036854775807" in answer.json()["detail"]
