"""Keyset cursors: following ``next`` visits every row exactly once, in order, for every ordering."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kokyaku.crm import selectors
from kokyaku.crm.models import Account, Activity, Deal, Rep, Team
from tests.api.conftest import NOW, QueryCounter, make_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture
def bumpy(strong_rep: Rep, developing_rep: Rep) -> list[Account]:
    """23 accounts whose sort keys repeat and are sometimes empty: the hard cases for a cursor."""
    accounts = make_portfolio(23, [strong_rep, developing_rep])
    for i, account in enumerate(accounts):
        account.name = f"Same name {i % 4}"  # ties on name
        account.employees = None if i % 5 == 0 else (i % 3) * 100  # ties and NULLs
        account.annual_revenue = None if i % 7 == 0 else Decimal(i % 4) * 1000
    Account.objects.bulk_update(accounts, ["name", "employees", "annual_revenue"])
    deals = list(Deal.objects.filter(account__in=accounts).order_by("id"))
    for i, deal in enumerate(deals):
        deal.amount = None if i % 6 == 0 else Decimal(i % 3) * 10
        deal.closed_on = None if i % 2 else NOW.date() - timedelta(days=i % 4)
        deal.status = Deal.Status.OPEN if i % 2 else Deal.Status.WON  # only a closed deal has a closed date
    Deal.objects.bulk_update(deals, ["amount", "closed_on", "status"])
    Activity.objects.filter(account__in=accounts[:10]).update(occurred_at=NOW - timedelta(hours=1))  # ties on time
    return accounts


def walk(client: Client, path: str) -> tuple[list[int], int]:
    """Follow ``next`` from ``path``; return the ids seen in order and the number of pages."""
    ids: list[int] = []
    pages = 0
    url: str | None = path
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        url = body["next"]
        pages += 1
        assert pages < 100, "the cursor does not advance"
    return ids, pages


def one_page(client: Client, path: str) -> list[int]:
    body = client.get(path).json()
    assert body["next"] is None
    return [item["id"] for item in body["items"]]


ORDERINGS: list[tuple[str, tuple[str, ...]]] = [
    ("/api/accounts", selectors.ACCOUNT_ORDERINGS),
    ("/api/deals", selectors.DEAL_ORDERINGS),
    ("/api/activities", selectors.ACTIVITY_ORDERINGS),
    ("/api/reps", selectors.REP_ORDERINGS),
]
CASES = [(path, f"{sign}{key}") for path, keys in ORDERINGS for key in keys for sign in ("", "-")]


@pytest.mark.parametrize(("path", "ordering"), CASES)
def test_following_next_visits_every_row_once_in_the_same_order_as_one_big_page(
    rep_api: Client, bumpy: list[Account], path: str, ordering: str
) -> None:
    expected = one_page(rep_api, f"{path}?ordering={ordering}&limit=500")
    ids, pages = walk(rep_api, f"{path}?ordering={ordering}&limit=4")
    assert ids == expected
    assert pages == -(-len(expected) // 4)


def test_empty_sort_keys_come_last_in_both_directions(rep_api: Client, bumpy: list[Account]) -> None:
    for ordering in ("employees", "-employees"):
        values = [a["employees"] for a in rep_api.get("/api/accounts", {"ordering": ordering, "limit": "500"}).json()["items"]]
        filled = [v for v in values if v is not None]
        assert values == filled + [None] * (len(values) - len(filled))
        assert filled == sorted(filled, reverse=ordering.startswith("-"))


def test_the_teams_list_pages_with_a_cursor(rep_api: Client) -> None:
    Team.objects.bulk_create(Team(name=f"Team {i:02d}") for i in range(11))
    ids, pages = walk(rep_api, "/api/teams?limit=5")
    assert pages == 3
    assert ids == one_page(rep_api, "/api/teams?limit=500")


def test_next_drops_the_offset_and_the_count(rep_api: Client, strong_rep: Rep) -> None:
    make_portfolio(9, [strong_rep])  # 5 of them in "it"
    body = rep_api.get("/api/accounts", {"limit": "2", "offset": "2", "count": "true", "industry": "it"}).json()
    assert (len(body["items"]), body["count"], body["next_offset"]) == (2, 5, 4)
    assert body["next"] == f"/api/accounts?limit=2&industry=it&cursor={body['next_cursor']}"
    rest = rep_api.get(body["next"]).json()
    assert (len(rest["items"]), rest["count"], rest["next"], rest["next_offset"]) == (1, None, None, None)


def test_a_cursor_with_an_offset_is_400(rep_api: Client, strong_rep: Rep) -> None:
    make_portfolio(3, [strong_rep])
    cursor = rep_api.get("/api/accounts", {"limit": "1"}).json()["next_cursor"]
    response = rep_api.get("/api/accounts", {"cursor": cursor, "offset": "1"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("offset and cursor cannot be combined")


def test_a_cursor_of_another_ordering_is_400(rep_api: Client, strong_rep: Rep) -> None:
    make_portfolio(3, [strong_rep])
    cursor = rep_api.get("/api/accounts", {"limit": "1"}).json()["next_cursor"]
    response = rep_api.get("/api/accounts", {"cursor": cursor, "ordering": "-name"})
    assert response.status_code == 400
    assert "ordering 'name'" in response.json()["detail"]


def _forge(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        ("name", "garbage"),
        ("name", "!!!"),
        ("name", _forge({"o": "name"})),
        ("name", _forge({"o": "name", "v": "x", "i": "x"})),
        ("employees", _forge({"o": "employees", "v": "many", "i": 1})),
    ],
)
def test_a_cursor_that_is_not_ours_is_400(rep_api: Client, ordering: str, cursor: str) -> None:
    response = rep_api.get("/api/accounts", {"cursor": cursor, "ordering": ordering})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("cursor: not a cursor from this API")


def test_a_deep_cursor_page_costs_the_same_queries_as_the_first(
    rep_api: Client, strong_rep: Rep, developing_rep: Rep, queries_for: QueryCounter
) -> None:
    make_portfolio(60, [strong_rep, developing_rep])
    first = queries_for(rep_api, "/api/accounts?limit=10")
    body = rep_api.get("/api/accounts", {"limit": "10", "offset": "40"}).json()
    deep = queries_for(rep_api, f"/api/accounts?limit=10&cursor={body['next_cursor']}")
    assert deep == first


def test_a_cursor_into_the_empty_tail_reads_at_most_one_more_query(
    rep_api: Client, bumpy: list[Account], queries_for: QueryCounter
) -> None:
    first = queries_for(rep_api, "/api/accounts?limit=4&ordering=employees")
    body = rep_api.get("/api/accounts", {"limit": "4", "offset": "12", "ordering": "employees"}).json()
    crossing = queries_for(rep_api, f"/api/accounts?limit=4&ordering=employees&cursor={body['next_cursor']}")
    assert crossing <= first + 1
