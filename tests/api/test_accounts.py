"""/api/accounts: list with filters, ordering and pages; detail; PATCH with ownership rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kokyaku.crm.models import Account, Rep, Team
from tests.api.conftest import QueryCounter, make_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture
def four_accounts(strong_account: Account, developing_account: Account, osaka_rep: Rep) -> dict[str, Account]:
    """Four accounts: Tanaka's, Suzuki's (both Tokyo), an Osaka rep's, and one without owner."""
    strong_account.buyer_type = Account.BuyerType.CONSERVATIVE
    strong_account.region = "Kanto"
    strong_account.annual_revenue = Decimal("5000000000.50")
    strong_account.employees = 800
    strong_account.save()
    developing_account.buyer_type = Account.BuyerType.VISIONARY
    developing_account.region = "Kansai"
    developing_account.employees = 30
    developing_account.save()
    osaka = Account.objects.create(
        external_id="OSK-9", name="Naniwa Foods", industry="food", region="Kansai", owner=osaka_rep,
        buyer_type=Account.BuyerType.SKEPTIC, employees=120,
    )  # fmt: skip
    orphan = Account.objects.create(external_id="ZZ-1", name="Blue Ocean", industry="it", region="Kanto")
    return {"tanaka": strong_account, "suzuki": developing_account, "osaka": osaka, "orphan": orphan}


def names(response_json: dict[str, object]) -> list[str]:
    items = response_json["items"]
    assert isinstance(items, list)
    return [item["name"] for item in items]


def test_every_rep_sees_the_whole_portfolio_ordered_by_name(rep_api: Client, four_accounts: dict[str, Account]) -> None:
    body = rep_api.get("/api/accounts").json()
    assert names(body) == ["Aoba Labs", "Blue Ocean", "Fuji Seiki", "Naniwa Foods"]
    assert body["next_offset"] is None
    assert body["count"] is None


def test_an_account_row_carries_owner_team_and_money_as_a_string(rep_api: Client, four_accounts: dict[str, Account]) -> None:
    body = rep_api.get("/api/accounts", {"q": "ACC-1"}).json()
    [row] = body["items"]
    assert row["external_id"] == "ACC-1"
    assert row["annual_revenue"] == "5000000000.50"
    assert row["owner"]["name"] == "Tanaka Hiroshi"
    assert row["owner"]["team"]["name"] == "Tokyo"
    assert row["buyer_type"] == "conservative"
    assert row["employees"] == 800


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"buyer_type": "visionary"}, ["Aoba Labs"]),
        ({"industry": "it"}, ["Aoba Labs", "Blue Ocean"]),
        ({"region": "Kansai"}, ["Aoba Labs", "Naniwa Foods"]),
        ({"q": "fuji"}, ["Fuji Seiki"]),
        ({"q": "osk"}, ["Naniwa Foods"]),
        ({"region": "Kanto", "industry": "it"}, ["Blue Ocean"]),
        ({"q": "no such thing"}, []),
    ],
)
def test_accounts_filter_by_field(
    rep_api: Client, four_accounts: dict[str, Account], params: dict[str, str], expected: list[str]
) -> None:
    assert names(rep_api.get("/api/accounts", params).json()) == expected


def test_accounts_filter_by_owner(rep_api: Client, four_accounts: dict[str, Account], developing_rep: Rep) -> None:
    assert names(rep_api.get("/api/accounts", {"owner": developing_rep.pk}).json()) == ["Aoba Labs"]


def test_accounts_filter_by_the_owners_team(
    rep_api: Client, four_accounts: dict[str, Account], team: Team, other_team: Team
) -> None:
    assert names(rep_api.get("/api/accounts", {"team": team.pk}).json()) == ["Aoba Labs", "Fuji Seiki"]
    assert names(rep_api.get("/api/accounts", {"team": other_team.pk}).json()) == ["Naniwa Foods"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-name", ["Naniwa Foods", "Fuji Seiki", "Blue Ocean", "Aoba Labs"]),
        ("external_id", ["Fuji Seiki", "Aoba Labs", "Naniwa Foods", "Blue Ocean"]),
        ("-employees", ["Fuji Seiki", "Naniwa Foods", "Aoba Labs", "Blue Ocean"]),  # unknown size last
        ("employees", ["Aoba Labs", "Naniwa Foods", "Fuji Seiki", "Blue Ocean"]),
    ],
)
def test_accounts_can_be_ordered(rep_api: Client, four_accounts: dict[str, Account], ordering: str, expected: list[str]) -> None:
    assert names(rep_api.get("/api/accounts", {"ordering": ordering}).json()) == expected


def test_an_unknown_ordering_or_buyer_type_is_422(rep_api: Client, four_accounts: dict[str, Account]) -> None:
    response = rep_api.get("/api/accounts", {"ordering": "password"})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert rep_api.get("/api/accounts", {"buyer_type": "whale"}).status_code == 422


def test_pages_follow_each_other_without_gaps_or_repeats(rep_api: Client, strong_rep: Rep) -> None:
    make_portfolio(12, [strong_rep])
    seen: list[str] = []
    path: str | None = "/api/accounts?limit=5&industry=it"
    pages = 0
    while path:
        body = rep_api.get(path).json()
        seen += names(body)
        path = body["next"]
        pages += 1
    assert pages == 2  # 6 "it" accounts: a page of 5, then a page of 1
    assert len(seen) == len(set(seen)) == 6
    assert seen == sorted(seen)


def test_a_page_reports_its_offsets_and_the_count_only_when_asked(rep_api: Client, strong_rep: Rep) -> None:
    make_portfolio(7, [strong_rep])
    first = rep_api.get("/api/accounts", {"limit": 3}).json()
    assert (first["limit"], first["offset"], first["next_offset"], first["count"]) == (3, 0, 3, None)
    assert first["next"] == f"/api/accounts?limit=3&cursor={first['next_cursor']}"
    last = rep_api.get("/api/accounts", {"limit": "3", "offset": "6", "count": "true"}).json()
    assert (len(last["items"]), last["next_offset"], last["next"], last["count"]) == (1, None, None, 7)


def test_a_page_exactly_at_the_end_has_no_next_page(rep_api: Client, strong_rep: Rep) -> None:
    make_portfolio(6, [strong_rep])
    body = rep_api.get("/api/accounts", {"limit": 3, "offset": 3}).json()
    assert len(body["items"]) == 3
    assert body["next_offset"] is None


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"offset": -1}, {"limit": "many"}])
def test_out_of_range_pagination_is_422(rep_api: Client, params: dict[str, Any]) -> None:
    response = rep_api.get("/api/accounts", params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_the_largest_page_is_500_rows(rep_api: Client, strong_rep: Rep) -> None:
    make_portfolio(501, [strong_rep])
    body = rep_api.get("/api/accounts", {"limit": 500}).json()
    assert len(body["items"]) == 500
    assert body["next_offset"] == 500


def test_listing_accounts_costs_the_same_queries_for_50_rows_as_for_5(
    rep_api: Client, strong_rep: Rep, developing_rep: Rep, osaka_rep: Rep, queries_for: QueryCounter
) -> None:
    make_portfolio(5, [strong_rep, developing_rep, osaka_rep], prefix="FEW")
    few = queries_for(rep_api, "/api/accounts?limit=100&q=FEW")
    make_portfolio(50, [strong_rep, developing_rep, osaka_rep], prefix="MANY")
    many = queries_for(rep_api, "/api/accounts?limit=100&q=MANY")
    assert many == few
    assert many <= 6  # token lookup + last-used stamp + permissions (2) + page ids + page rows


def test_account_detail_returns_one_account(rep_api: Client, four_accounts: dict[str, Account]) -> None:
    account = four_accounts["osaka"]
    body = rep_api.get(f"/api/accounts/{account.pk}").json()
    assert body["name"] == "Naniwa Foods"
    assert body["owner"]["team"] == {"id": account.owner.team_id, "name": "Osaka"}  # type: ignore[union-attr]


def test_a_missing_account_is_404_with_a_detail_message(rep_api: Client, db: None) -> None:
    response = rep_api.get("/api/accounts/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Account 999999 not found."}


# ---- PATCH ------------------------------------------------------------------------------------


def test_a_rep_updates_their_own_account(rep_api: Client, strong_account: Account) -> None:
    response = rep_api.patch(
        f"/api/accounts/{strong_account.pk}",
        {"buyer_type": "pragmatist", "industry": "robotics", "region": "Chubu", "employees": 450, "annual_revenue": "123.45"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["buyer_type"] == "pragmatist"
    strong_account.refresh_from_db()
    assert (strong_account.industry, strong_account.region, strong_account.employees) == ("robotics", "Chubu", 450)
    assert strong_account.annual_revenue == Decimal("123.45")


def test_a_patch_changes_only_the_fields_it_sends(rep_api: Client, strong_account: Account) -> None:
    rep_api.patch(f"/api/accounts/{strong_account.pk}", {"region": "Tohoku"}, content_type="application/json")
    strong_account.refresh_from_db()
    assert (strong_account.region, strong_account.industry, strong_account.name) == ("Tohoku", "manufacturing", "Fuji Seiki")


def test_a_rep_cannot_change_another_reps_account(rep_api: Client, developing_account: Account) -> None:
    response = rep_api.patch(f"/api/accounts/{developing_account.pk}", {"region": "Kyushu"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"detail": "You can only edit accounts you own."}
    developing_account.refresh_from_db()
    assert developing_account.region == ""


def test_a_rep_cannot_take_an_unowned_account(rep_api: Client, strong_rep: Rep) -> None:
    orphan = Account.objects.create(external_id="ZZ-1", name="Blue Ocean")
    response = rep_api.patch(f"/api/accounts/{orphan.pk}", {"owner": strong_rep.pk}, content_type="application/json")
    assert response.status_code == 403
    orphan.refresh_from_db()
    assert orphan.owner_id is None


def test_a_rep_cannot_hand_their_account_to_someone_else(rep_api: Client, strong_account: Account, developing_rep: Rep) -> None:
    response = rep_api.patch(f"/api/accounts/{strong_account.pk}", {"owner": developing_rep.pk}, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a manager can change an account's owner."}
    strong_account.refresh_from_db()
    assert strong_account.owner_id != developing_rep.pk


def test_a_rep_may_resend_the_owner_unchanged(rep_api: Client, strong_account: Account) -> None:
    body = {"owner": strong_account.owner_id, "region": "Kanto"}
    response = rep_api.patch(f"/api/accounts/{strong_account.pk}", body, content_type="application/json")
    assert response.status_code == 200


def test_a_manager_changes_any_account_and_its_owner(manager_api: Client, strong_account: Account, developing_rep: Rep) -> None:
    response = manager_api.patch(
        f"/api/accounts/{strong_account.pk}", {"owner": developing_rep.pk, "region": "Hokkaido"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == developing_rep.pk
    strong_account.refresh_from_db()
    assert (strong_account.owner_id, strong_account.region) == (developing_rep.pk, "Hokkaido")


def test_a_manager_can_unassign_an_account(manager_api: Client, strong_account: Account) -> None:
    response = manager_api.patch(f"/api/accounts/{strong_account.pk}", {"owner": None}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["owner"] is None


def test_an_owner_that_does_not_exist_is_400(manager_api: Client, strong_account: Account) -> None:
    response = manager_api.patch(f"/api/accounts/{strong_account.pk}", {"owner": 424242}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "owner: rep 424242 does not exist."}


def test_an_inactive_owner_is_400(manager_api: Client, strong_account: Account, osaka_rep: Rep) -> None:
    Rep.objects.filter(pk=osaka_rep.pk).update(active=False)
    response = manager_api.patch(f"/api/accounts/{strong_account.pk}", {"owner": osaka_rep.pk}, content_type="application/json")
    assert response.status_code == 400
    assert "not active" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [{"buyer_type": "whale"}, {"employees": -1}, {"annual_revenue": "-5"}, {"annual_revenue": "1.234"}, {"name": ""}]
)
def test_invalid_account_values_are_422_and_change_nothing(
    rep_api: Client, strong_account: Account, body: dict[str, object]
) -> None:
    response = rep_api.patch(f"/api/accounts/{strong_account.pk}", body, content_type="application/json")
    assert response.status_code == 422
    strong_account.refresh_from_db()
    assert (strong_account.name, strong_account.buyer_type, strong_account.employees) == ("Fuji Seiki", "unknown", None)


def test_nulling_a_required_account_field_is_400(rep_api: Client, strong_account: Account) -> None:
    response = rep_api.patch(f"/api/accounts/{strong_account.pk}", {"name": None}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("name:")


def test_patching_a_missing_account_is_404(manager_api: Client, db: None) -> None:
    response = manager_api.patch("/api/accounts/999999", {"region": "x"}, content_type="application/json")
    assert response.status_code == 404


def test_patching_without_auth_is_401(strong_account: Account) -> None:
    response = Client().patch(f"/api/accounts/{strong_account.pk}", {"region": "x"}, content_type="application/json")
    assert response.status_code == 401


def test_an_admin_may_edit_any_account(admin_user: User, strong_account: Account) -> None:
    from tests.api.conftest import token_client

    response = token_client("admin").patch(
        f"/api/accounts/{strong_account.pk}", {"region": "Okinawa"}, content_type="application/json"
    )
    assert response.status_code == 200
