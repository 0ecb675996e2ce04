"""POST /api/imports/{kind}: managers import with a bearer token and get the summary back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kokyaku.crm.models import Deal
from kokyaku.users.services import api_token_create
from tests.imports.conftest import DEALS_HEADER, db_state, deals_csv

URL = "/api/imports/deals"


def _token_client(username: str) -> Client:
    _token, plain = api_token_create(user=User.objects.get(username=username), name="test")
    return Client(headers={"Authorization": f"Bearer {plain}"})


def _file(text: str, name: str = "deals.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_a_manager_imports_and_gets_the_summary(manager: User) -> None:
    client = _token_client("sato")
    response = client.post(URL, {"file": _file(deals_csv(10)), "mapping": "generic"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (10, 0, 0, 0)
    assert "commit" in body["timings"]  # seconds per phase, for whoever watches nightly syncs
    again = client.post(URL, {"file": _file(deals_csv(10))}).json()
    assert (again["created"], again["unchanged"]) == (0, 10)


def test_a_dry_run_over_the_api_writes_nothing(manager: User) -> None:
    response = _token_client("sato").post(URL, {"file": _file(deals_csv(4)), "dry_run": "true"})
    assert response.json()["created"] == 4
    assert response.json()["dry_run"] is True
    assert not Deal.objects.exists()


def test_a_rep_gets_403_and_nothing_is_written(strong_rep: object) -> None:
    before = db_state()
    response = _token_client("tanaka").post(URL, {"file": _file(deals_csv(3))})
    assert response.status_code == 403
    assert db_state() == before


def test_anonymous_callers_get_401(db: None) -> None:
    assert Client().post(URL, {"file": _file(deals_csv(3))}).status_code == 401


def test_invalid_rows_give_422_with_every_problem(manager: User) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,-4,Won,won,2024-01-01,2024-02-01\nD2,A1,Tanaka,x,4,Won,won,someday,\n"
    response = _token_client("sato").post(URL, {"file": _file(text)})
    assert response.status_code == 422
    body = response.json()
    assert body["problem_count"] == 2
    assert [(p["row"], p["column"], p["value"]) for p in body["problems"]] == [(2, "amount", "-4"), (3, "opened_on", "someday")]
    assert not Deal.objects.exists()


def test_a_server_path_is_never_accepted_as_a_mapping(manager: User) -> None:
    response = _token_client("sato").post(URL, {"file": _file(deals_csv(2)), "mapping": "/etc/passwd"})
    assert response.status_code == 400
    assert "no built-in or saved mapping '/etc/passwd'" in response.json()["detail"]


def test_an_own_mapping_can_be_sent_as_a_toml_file(manager: User) -> None:
    mapping = 'kind = "deals"\n[columns]\nexternal_id = "id"\naccount = "acct"\nstatus = "s"\nopened_on = "o"\nclosed_on = "c"\n'
    files = {
        "file": _file("id,acct,s,o,c\nX,A,won,2024-01-01,2024-02-01\n"),
        "mapping_file": SimpleUploadedFile("m.toml", mapping.encode()),
    }
    response = _token_client("sato").post(URL, files)
    assert response.status_code == 200, response.content
    assert Deal.objects.filter(external_id="X").exists()


@pytest.mark.parametrize("payload", [b"", b"\n\n"])
def test_an_empty_upload_is_a_400_with_the_reason(manager: User, payload: bytes) -> None:
    response = _token_client("sato").post(URL, {"file": SimpleUploadedFile("e.csv", payload)})
    assert response.status_code == 400
    assert "e.csv is empty" in response.json()["detail"]
