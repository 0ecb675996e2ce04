"""/api/deals: list with filters, detail, and PATCH with ownership and status rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from kokyaku.crm.models import Account, Deal, LostReason, Rep
from tests.api.conftest import NOW, QueryCounter, make_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(strong_account: Account, developing_account: Account, strong_rep: Rep, developing_rep: Rep) -> dict[str, Deal]:
    """Tanaka's won deal D-1 (from the base fixtures) plus an open and a lost deal of Suzuki's."""
    open_deal = Deal.objects.create(
        external_id="D-2", account=developing_account, owner=developing_rep, name="Pilot", amount=Decimal("300000"),
        status=Deal.Status.OPEN, opened_on=date(2026, 4, 1), expected_close_on=date(2026, 7, 31),
    )  # fmt: skip
    lost = Deal.objects.create(
        external_id="D-3", account=developing_account, owner=developing_rep, name="Big bet", amount=Decimal("9000000"),
        status=Deal.Status.LOST, opened_on=date(2025, 10, 1), closed_on=date(2025, 12, 20),
        lost_reason=LostReason.objects.get(code="price"), lost_note="Too expensive this year",
    )  # fmt: skip
    return {"won": Deal.objects.get(external_id="D-1"), "open": open_deal, "lost": lost}


def ext_ids(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [item["external_id"] for item in items]


def test_deals_list_newest_opened_first_with_money_as_strings(rep_api: Client, deals: dict[str, Deal]) -> None:
    body = rep_api.get("/api/deals").json()
    assert ext_ids(body) == ["D-2", "D-1", "D-3"]
    lost = body["items"][2]
    assert lost["amount"] == "9000000.00"
    assert lost["lost_reason"] == "price"
    assert lost["account"]["external_id"] == "ACC-2"
    assert lost["owner"]["name"] == "Suzuki Yui"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, ["D-2"]),
        ({"status": "won"}, ["D-1"]),
        ({"opened_from": "2026-01-01"}, ["D-2", "D-1"]),
        ({"opened_to": "2026-01-10"}, ["D-1", "D-3"]),
        ({"opened_from": "2026-01-10", "opened_to": "2026-01-10"}, ["D-1"]),
        ({"closed_from": "2026-01-01"}, ["D-1"]),
        ({"closed_to": "2025-12-20"}, ["D-3"]),
        ({"min_amount": "1200000"}, ["D-1", "D-3"]),
        ({"max_amount": "1200000"}, ["D-2", "D-1"]),
        ({"min_amount": "300000.00", "max_amount": "300000"}, ["D-2"]),
        ({"ordering": "amount"}, ["D-2", "D-1", "D-3"]),
        ({"ordering": "-amount"}, ["D-3", "D-1", "D-2"]),
        ({"ordering": "opened_on"}, ["D-3", "D-1", "D-2"]),
        ({"expected_from": "2026-07-01"}, ["D-2"]),
        ({"expected_to": "2026-06-30"}, []),
        ({"ordering": "expected_close_on"}, ["D-2", "D-1", "D-3"]),  # undated deals last, then by id
    ],
)
def test_deals_filter_and_order(rep_api: Client, deals: dict[str, Deal], params: dict[str, str], expected: list[str]) -> None:
    assert ext_ids(rep_api.get("/api/deals", params).json()) == expected


def test_deals_filter_by_account_and_owner(
    rep_api: Client, deals: dict[str, Deal], developing_account: Account, strong_rep: Rep
) -> None:
    assert ext_ids(rep_api.get("/api/deals", {"account": developing_account.pk}).json()) == ["D-2", "D-3"]
    assert ext_ids(rep_api.get("/api/deals", {"owner": strong_rep.pk}).json()) == ["D-1"]


def test_a_min_amount_above_the_max_amount_is_400(rep_api: Client, deals: dict[str, Deal]) -> None:
    response = rep_api.get("/api/deals", {"min_amount": "10", "max_amount": "5"})
    assert response.status_code == 400
    assert "min_amount" in response.json()["detail"]


@pytest.mark.parametrize("params", [{"status": "maybe"}, {"opened_from": "yesterday"}, {"min_amount": "-1"}])
def test_malformed_deal_filters_are_422(rep_api: Client, params: dict[str, str]) -> None:
    assert rep_api.get("/api/deals", params).status_code == 422


def test_listing_deals_costs_the_same_queries_for_50_rows_as_for_5(
    rep_api: Client, strong_rep: Rep, developing_rep: Rep, queries_for: QueryCounter
) -> None:
    accounts = make_portfolio(5, [strong_rep, developing_rep], prefix="FEW")
    few = queries_for(rep_api, f"/api/deals?limit=100&min_amount=0&account={accounts[0].pk}")
    few_all = queries_for(rep_api, "/api/deals?limit=100")
    make_portfolio(50, [strong_rep, developing_rep], prefix="MANY")
    Deal.objects.filter(external_id="MANY-D-0003").update(
        status=Deal.Status.LOST, closed_on=NOW.date(), lost_reason=LostReason.objects.first()
    )
    many_all = queries_for(rep_api, "/api/deals?limit=100")
    assert many_all == few_all
    assert few <= few_all <= 6


def test_deal_detail_and_404(rep_api: Client, deals: dict[str, Deal]) -> None:
    assert rep_api.get(f"/api/deals/{deals['open'].pk}").json()["name"] == "Pilot"
    response = rep_api.get("/api/deals/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Deal 999999 not found."}


# ---- PATCH ------------------------------------------------------------------------------------


def patch(client: Client, deal: Deal, body: dict[str, object]) -> tuple[int, dict[str, Any]]:
    response = client.patch(f"/api/deals/{deal.pk}", body, content_type="application/json")
    return response.status_code, response.json()


def test_a_rep_updates_a_deal_they_own(developing_api: Client, deals: dict[str, Deal]) -> None:
    status, body = patch(developing_api, deals["open"], {"amount": "450000.50", "stage": "proposal", "probability": 60})
    assert status == 200, body
    assert (body["amount"], body["stage"], body["probability"]) == ("450000.50", "proposal", 60)
    deals["open"].refresh_from_db()
    assert deals["open"].amount == Decimal("450000.50")


def test_a_rep_cannot_change_a_deal_owned_by_another_rep(rep_api: Client, deals: dict[str, Deal]) -> None:
    status, body = patch(rep_api, deals["open"], {"amount": "1"})
    assert (status, body) == (403, {"detail": "You can only edit deals you own."})
    deals["open"].refresh_from_db()
    assert deals["open"].amount == Decimal("300000")


def test_a_rep_cannot_reassign_their_own_deal(developing_api: Client, deals: dict[str, Deal], strong_rep: Rep) -> None:
    status, body = patch(developing_api, deals["open"], {"owner": strong_rep.pk})
    assert status == 403
    assert body == {"detail": "Only a manager can change a deal's owner."}


def test_a_manager_changes_any_deal_and_its_owner(manager_api: Client, deals: dict[str, Deal], strong_rep: Rep) -> None:
    status, body = patch(manager_api, deals["open"], {"owner": strong_rep.pk, "name": "Pilot (renamed)"})
    assert status == 200, body
    deals["open"].refresh_from_db()
    assert (deals["open"].owner_id, deals["open"].name) == (strong_rep.pk, "Pilot (renamed)")


@time_machine.travel(NOW, tick=False)
def test_winning_a_deal_closes_it_today(developing_api: Client, deals: dict[str, Deal]) -> None:
    status, body = patch(developing_api, deals["open"], {"status": "won"})
    assert status == 200, body
    assert body["closed_on"] == "2026-06-01"


def test_losing_a_deal_records_the_reason_and_what_the_customer_said(developing_api: Client, deals: dict[str, Deal]) -> None:
    status, body = patch(
        developing_api,
        deals["open"],
        {"status": "lost", "closed_on": "2026-05-01", "lost_reason": "competitor", "lost_note": "Went with X"},
    )
    assert status == 200, body
    assert (body["status"], body["closed_on"], body["lost_reason"], body["lost_note"]) == (
        "lost",
        "2026-05-01",
        "competitor",
        "Went with X",
    )


def test_reopening_a_lost_deal_clears_its_close_date_and_reason(developing_api: Client, deals: dict[str, Deal]) -> None:
    status, body = patch(developing_api, deals["lost"], {"status": "open"})
    assert status == 200, body
    assert (body["closed_on"], body["lost_reason"]) == (None, None)


def test_a_rep_moves_the_expected_close_date_of_an_open_deal(developing_api: Client, deals: dict[str, Deal]) -> None:
    assert patch(developing_api, deals["open"], {})[1]["expected_close_on"] == "2026-07-31"
    status, body = patch(developing_api, deals["open"], {"expected_close_on": "2026-09-30"})
    assert status == 200, body
    assert (body["expected_close_on"], body["closed_on"]) == ("2026-09-30", None)


def test_a_closed_deals_expected_close_date_is_refused_with_a_reason(developing_api: Client, deals: dict[str, Deal]) -> None:
    status, body = patch(developing_api, deals["lost"], {"expected_close_on": "2026-09-30"})
    assert status == 400
    assert body["detail"].startswith("expected_close_on: a lost deal has closed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lost_reason": "price"}, "lost_reason: only a lost deal has a lost reason."),
        ({"closed_on": "2026-05-01"}, "closed_on: an open deal has no closed date; set status to won or lost."),
        ({"status": "lost", "lost_reason": "aliens"}, "lost_reason: unknown code 'aliens'"),
        ({"status": "won", "closed_on": "2020-01-01"}, "closed_on: 2020-01-01 is before the deal was opened (2026-04-01)."),
        ({"status": None}, "status:"),
        ({"expected_close_on": "2026-03-31"}, "expected_close_on: 2026-03-31 is before the deal was opened (2026-04-01)."),
    ],
)
def test_inconsistent_deal_changes_are_400_and_change_nothing(
    developing_api: Client, deals: dict[str, Deal], body: dict[str, object], message: str
) -> None:
    status, response = patch(developing_api, deals["open"], body)
    assert status == 400
    assert str(response["detail"]).startswith(message)
    deals["open"].refresh_from_db()
    assert (deals["open"].status, deals["open"].closed_on, deals["open"].lost_reason_id) == ("open", None, None)


@pytest.mark.parametrize("body", [{"probability": 101}, {"amount": "-1"}, {"currency": "YENS"}, {"status": "maybe"}])
def test_out_of_range_deal_values_are_422(developing_api: Client, deals: dict[str, Deal], body: dict[str, object]) -> None:
    status, _response = patch(developing_api, deals["open"], body)
    assert status == 422


def test_patching_a_missing_deal_is_404(manager_api: Client, db: None) -> None:
    response = manager_api.patch("/api/deals/999999", {"name": "x"}, content_type="application/json")
    assert response.status_code == 404
