"""The inputs issue 15 names, each answered with a 4xx and the JSON ``detail`` shape (or a page), never a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from kokyaku.assignment.models import Plan
from kokyaku.portfolio.models import Snapshot
from kokyaku.users.services import api_token_create
from kokyaku.web.views import server_error
from tests.portfolio.pages_demo import PASSWORD, Demo

pytestmark = pytest.mark.django_db  # each test in a savepoint of the module's demo


def _client(username: str) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "0", "1700000000"])
def test_a_snapshot_as_of_an_impossible_day_is_refused(demo: Demo, as_of: str) -> None:
    before = Snapshot.objects.count()
    answer = _client("manager").post(f"/api/portfolio/snapshots?as_of={as_of}")
    assert answer.status_code == 422, answer.content
    assert answer.json()["detail"][0]["loc"] == ["query", "as_of"]
    assert Snapshot.objects.count() == before  # as_of=0 made a 1970 snapshot


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_retention_as_of_an_impossible_day_is_refused(demo: Demo, as_of: str) -> None:
    api = _client("manager").get(f"/api/retention?as_of={as_of}")
    assert api.status_code == 422
    assert "1900-01-01" in str(api.json()["detail"])
    page = _client("manager").get(f"/retention/?as_of={as_of}")
    assert page.status_code == 400
    assert "1900-01-01" in page.content.decode()  # the form says why


def test_a_target_period_in_year_one_shows_this_month(demo: Demo) -> None:
    assert _client("manager").get("/portfolio/targets/?period=0001-01").status_code == 200


@pytest.mark.parametrize("value", ["\x00", "a\x00b"])
def test_a_nul_byte_in_a_search_is_no_error(demo: Demo, value: str) -> None:
    rep = _client("rep")
    for name in ("q", "industry", "region"):
        answer = rep.get("/api/accounts", {name: value})
        assert answer.status_code < 500, (name, answer.content[:200])


def test_an_unknown_api_url_answers_json(demo: Demo) -> None:
    answer = _client("rep").get("/api/no/such/thing")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found."}


def test_an_api_crash_answers_json_without_a_traceback(demo: Demo) -> None:
    answer = server_error(RequestFactory().get("/api/accounts"))
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    assert b"detail" in answer.content
    assert b"Traceback" not in answer.content


def test_a_next_that_is_not_a_path_does_not_redirect_off_site_or_fail(demo: Demo) -> None:
    client = _client("manager")
    for nxt in ("9999-12-31", "https://x.example/", "//x.example/"):
        answer = client.post("/portfolio/snapshots/compute/", {"next": nxt})
        assert answer.status_code in (302, 200, 403), nxt
        assert "x.example" not in answer.get("Location", ""), nxt


def test_customer_data_and_new_tokens_are_never_cached(demo: Demo) -> None:
    """Issue 15: Cache-Control: no-store on pages and API answers that carry customer data or a new token."""
    client = _client("rep")
    for path in ("/", "/portfolio/mine/", "/api/accounts", "/tokens/"):
        assert "no-store" in client.get(path).get("Cache-Control", ""), path
    _token, plain = api_token_create(user=User.objects.get(username="manager"), name="t")
    answer = Client().get("/api/accounts", headers={"Authorization": f"Bearer {plain}"})
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]


def test_a_nul_byte_in_text_sent_to_the_api_is_a_400_not_a_500(demo: Demo) -> None:
    """PostgreSQL refuses NUL in text: the release reason reached the database and answered 500."""
    answer = _client("rep").post(
        f"/api/assignment/accounts/{demo.rep_account.pk}/release", {"reason": "a\x00b"}, content_type="application/json"
    )
    assert answer.status_code < 500, answer.content
    if answer.status_code >= 400:
        assert "detail" in answer.json()


def test_cancelling_or_retrying_an_unknown_job_is_a_404(demo: Demo) -> None:
    client = _client("manager")
    for verb in ("cancel", "retry"):
        for job_id in ("0", "1", "9223372036854775807"):
            assert client.post(f"/jobs/{job_id}/{verb}/").status_code == 404


def test_an_assignment_plan_page_takes_a_rep_beyond_any_id(demo: Demo) -> None:
    plan = Plan.objects.create(status="optimal", fingerprint="-")
    client = _client("manager")
    for rep in ("99999999999999999999999", "-1", "x\x00"):
        assert client.get(f"/assignment/plans/{plan.pk}/", {"rep": rep}).status_code == 200
