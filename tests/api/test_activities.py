"""/api/activities: list with filters, detail, and POST with ownership rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from kokyaku.crm.models import Account, Activity, Deal, Rep
from tests.api.conftest import NOW, TOKYO, QueryCounter, make_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture
def touches(strong_account: Account, developing_account: Account, strong_rep: Rep, developing_rep: Rep) -> list[Activity]:
    """Three touches: Tanaka's visit and call on Fuji Seiki, Suzuki's email on Aoba Labs."""
    return [
        Activity.objects.create(
            account=strong_account, rep=strong_rep, kind="visit", occurred_at=NOW - timedelta(days=10), minutes=90
        ),
        Activity.objects.create(
            account=strong_account, rep=strong_rep, kind="call", occurred_at=NOW - timedelta(days=1), minutes=10
        ),
        Activity.objects.create(account=developing_account, rep=developing_rep, kind="email", occurred_at=NOW, minutes=5),
    ]


def kinds(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [item["kind"] for item in items]


def test_activities_list_newest_first(rep_api: Client, touches: list[Activity]) -> None:
    body = rep_api.get("/api/activities").json()
    assert kinds(body) == ["email", "call", "visit"]
    assert body["items"][0]["account"]["name"] == "Aoba Labs"
    assert body["items"][0]["rep"]["name"] == "Suzuki Yui"


def test_activities_filter_by_account_rep_and_kind(
    rep_api: Client, touches: list[Activity], strong_account: Account, developing_rep: Rep
) -> None:
    assert kinds(rep_api.get("/api/activities", {"account": strong_account.pk}).json()) == ["call", "visit"]
    assert kinds(rep_api.get("/api/activities", {"rep": developing_rep.pk}).json()) == ["email"]
    assert kinds(rep_api.get("/api/activities", {"kind": "visit"}).json()) == ["visit"]


def test_activities_filter_by_a_half_open_time_window(rep_api: Client, touches: list[Activity]) -> None:
    since = (NOW - timedelta(days=1)).isoformat()
    assert kinds(rep_api.get("/api/activities", {"since": since}).json()) == ["email", "call"]
    assert kinds(rep_api.get("/api/activities", {"until": since}).json()) == ["visit"]
    assert kinds(rep_api.get("/api/activities", {"since": since, "until": NOW.isoformat()}).json()) == ["call"]


def test_a_time_without_zone_is_read_as_local_time(rep_api: Client, touches: list[Activity]) -> None:
    # NOW is 10:00 in Tokyo; 10:00 without a zone means Tokyo time, so the email (at NOW) is included.
    assert kinds(rep_api.get("/api/activities", {"since": "2026-06-01T10:00:00"}).json()) == ["email"]
    assert kinds(rep_api.get("/api/activities", {"since": "2026-06-01T10:00:01"}).json()) == []


def test_activities_can_be_ordered_by_minutes(rep_api: Client, touches: list[Activity]) -> None:
    assert kinds(rep_api.get("/api/activities", {"ordering": "-minutes"}).json()) == ["visit", "call", "email"]


def test_a_malformed_activity_filter_is_422(rep_api: Client) -> None:
    assert rep_api.get("/api/activities", {"kind": "lunch"}).status_code == 422
    assert rep_api.get("/api/activities", {"since": "last week"}).status_code == 422


def test_listing_activities_costs_the_same_queries_for_50_rows_as_for_5(
    rep_api: Client, strong_rep: Rep, developing_rep: Rep, queries_for: QueryCounter
) -> None:
    make_portfolio(5, [strong_rep, developing_rep], prefix="FEW")
    few = queries_for(rep_api, "/api/activities?limit=100")
    make_portfolio(50, [strong_rep, developing_rep], prefix="MANY")
    many = queries_for(rep_api, "/api/activities?limit=100")
    assert many == few <= 6


def test_activity_detail_and_404(rep_api: Client, touches: list[Activity]) -> None:
    assert rep_api.get(f"/api/activities/{touches[0].pk}").json()["minutes"] == 90
    response = rep_api.get("/api/activities/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Activity 999999 not found."}


# ---- POST -------------------------------------------------------------------------------------


def post(client: Client, body: dict[str, object]) -> tuple[int, dict[str, Any]]:
    response = client.post("/api/activities", body, content_type="application/json")
    return response.status_code, response.json()


@time_machine.travel(NOW, tick=False)
def test_a_rep_logs_an_activity_on_their_own_account(rep_api: Client, strong_account: Account, strong_rep: Rep) -> None:
    deal = Deal.objects.get(external_id="D-1")
    status, body = post(rep_api, {"account": strong_account.pk, "kind": "visit", "minutes": 45, "note": "Demo", "deal": deal.pk})
    assert status == 201, body
    assert body["rep"] == {"id": strong_rep.pk, "name": "Tanaka Hiroshi"}
    assert body["deal_id"] == deal.pk
    activity = Activity.objects.get(pk=body["id"])
    assert (activity.rep_id, activity.minutes, activity.note) == (strong_rep.pk, 45, "Demo")
    assert activity.occurred_at == NOW  # defaults to now


def test_an_activity_time_without_zone_is_local_time(rep_api: Client, strong_account: Account) -> None:
    status, body = post(rep_api, {"account": strong_account.pk, "kind": "call", "occurred_at": "2026-05-20T09:30:00"})
    assert status == 201, body
    assert Activity.objects.get(pk=body["id"]).occurred_at == datetime(2026, 5, 20, 9, 30, tzinfo=TOKYO)


def test_a_rep_cannot_log_activity_on_another_reps_account(rep_api: Client, developing_account: Account) -> None:
    status, body = post(rep_api, {"account": developing_account.pk, "kind": "call"})
    assert (status, body) == (403, {"detail": "You can only log activities on accounts you own."})
    assert not Activity.objects.exists()


def test_a_rep_cannot_log_activity_in_another_reps_name(rep_api: Client, strong_account: Account, developing_rep: Rep) -> None:
    status, body = post(rep_api, {"account": strong_account.pk, "kind": "call", "rep": developing_rep.pk})
    assert (status, body) == (403, {"detail": "You can only log your own activities."})
    assert not Activity.objects.exists()


def test_a_manager_logs_an_activity_for_any_rep_on_any_account(
    manager_api: Client, developing_account: Account, developing_rep: Rep
) -> None:
    status, body = post(
        manager_api, {"account": developing_account.pk, "kind": "meeting", "rep": developing_rep.pk, "minutes": 60}
    )
    assert status == 201, body
    assert Activity.objects.get(pk=body["id"]).rep_id == developing_rep.pk


def test_a_managers_own_activity_defaults_to_their_rep(manager_api: Client, developing_account: Account) -> None:
    status, body = post(manager_api, {"account": developing_account.pk, "kind": "visit"})
    assert status == 201, body
    assert body["rep"]["name"] == "Sato Kenji"


def test_a_deal_of_another_account_is_400(rep_api: Client, strong_account: Account, developing_account: Account) -> None:
    other = Deal.objects.create(external_id="D-X", account=developing_account, opened_on=NOW.date())
    status, body = post(rep_api, {"account": strong_account.pk, "kind": "call", "deal": other.pk})
    assert status == 400
    assert str(body["detail"]).startswith(f"deal: deal {other.pk} belongs to another account")
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("account", 999999, "account: account 999999 does not exist."), ("deal", 999999, "deal: deal 999999 does not exist."),
     ("rep", 999999, "rep: rep 999999 does not exist.")],
)  # fmt: skip
def test_references_that_do_not_exist_are_400(
    rep_api: Client, strong_account: Account, field: str, value: int, message: str
) -> None:
    body: dict[str, object] = {"account": strong_account.pk, "kind": "call", field: value}
    status, response = post(rep_api, body)
    assert (status, response) == (400, {"detail": message})


@pytest.mark.parametrize("body", [{"kind": "lunch"}, {"kind": "call", "minutes": -5}, {"kind": "call", "minutes": 100000}, {}])
def test_invalid_activities_are_422(rep_api: Client, strong_account: Account, body: dict[str, object]) -> None:
    status, _response = post(rep_api, {"account": strong_account.pk, **body})
    assert status == 422
    assert not Activity.objects.exists()
