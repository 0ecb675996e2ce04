"""API clients for the base people (Sato the manager, Tanaka the strong rep, Suzuki the developing rep).

API tests talk to the API the way integrations do: a bearer token per person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kokyaku.crm.models import Account, Activity, Deal, Rep, Team
from kokyaku.users.services import api_token_create

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO)


def token_client(username: str, **headers: str) -> Client:
    """Return a client that sends a fresh bearer token of ``username`` (and ``headers``) on every request."""
    _token, plain = api_token_create(user=User.objects.get(username=username), name="test")
    return Client(headers={"Authorization": f"Bearer {plain}", **headers})


@pytest.fixture
def rep_api(strong_rep: Rep) -> Client:
    return token_client("tanaka")


@pytest.fixture
def developing_api(developing_rep: Rep) -> Client:
    return token_client("suzuki")


@pytest.fixture
def manager_api(manager: User) -> Client:
    return token_client("sato")


@pytest.fixture
def other_team(db: None) -> Team:
    return Team.objects.create(name="Osaka")


@pytest.fixture
def osaka_rep(other_team: Team) -> Rep:
    return Rep.objects.create(name="Kato Mei", email="kato@example.com", team=other_team, tier=Rep.Tier.DEVELOPING)


def make_portfolio(n: int, reps: list[Rep], *, prefix: str = "BULK") -> list[Account]:
    """Create ``n`` accounts spread over ``reps``, each with one deal and one activity."""
    accounts = Account.objects.bulk_create(
        Account(
            external_id=f"{prefix}-{i:04d}",
            name=f"{prefix.title()} Company {i:04d}",
            industry="manufacturing" if i % 2 else "it",
            region="Kanto",
            employees=10 * (i + 1),
            annual_revenue=Decimal(1_000_000 * (i + 1)),
            owner=reps[i % len(reps)],
            buyer_type=Account.BuyerType.PRAGMATIST,
        )
        for i in range(n)
    )
    deals = Deal.objects.bulk_create(
        Deal(
            external_id=f"{prefix}-D-{i:04d}",
            account=a,
            owner=a.owner,
            name=f"Deal {i}",
            amount=Decimal(100_000 * (i + 1)),
            status=Deal.Status.OPEN,
            opened_on=date(2026, 1, 1),
        )
        for i, a in enumerate(accounts)
    )
    Activity.objects.bulk_create(
        Activity(account=a, rep=a.owner, deal=d, kind=Activity.Kind.CALL, occurred_at=NOW, minutes=15)
        for a, d in zip(accounts, deals, strict=True)
    )
    return accounts


@contextmanager
def count_queries() -> Iterator[CaptureQueriesContext]:
    with CaptureQueriesContext(connection) as ctx:
        yield ctx


QueryCounter = Callable[[Client, str], int]


@pytest.fixture
def queries_for() -> QueryCounter:
    """Return a function that GETs a path (expecting 200) and returns how many SQL queries it ran.

    The path is fetched once first: a token's ``last_used_at`` is written at most once a minute
    (tests/users/test_api_tokens.py counts that write), so the counted request measures the
    endpoint's own queries whichever test runs first.
    """

    def run(client: Client, path: str) -> int:
        assert client.get(path).status_code == 200
        with count_queries() as ctx:
            response = client.get(path)
        assert response.status_code == 200, response.content
        return len(ctx.captured_queries)

    return run
