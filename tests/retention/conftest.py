"""Purchase histories for the retention tests: long enough for the company's own curve, and too short."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from kokyaku.crm.models import Account, Deal, Rep

AS_OF = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """The retention record is cached per as-of day and purchases: start and end each test without one."""
    cache.clear()
    yield
    cache.clear()


def add_purchases(owner: Rep, *, accounts: int, first: date, spacing_days: int, every_days: int, prefix: str) -> list[Account]:
    """``accounts`` customers, the i-th first buying ``i * spacing_days`` after ``first``, 1-5 times ``every_days`` apart."""
    made = Account.objects.bulk_create(
        Account(external_id=f"{prefix}-{i}", name=f"{prefix} customer {i}", owner=owner) for i in range(accounts)
    )
    deals = []
    for i, account in enumerate(made):
        start = first + timedelta(days=i * spacing_days)
        for k in range(i % 5 + 1):
            day = start + timedelta(days=k * every_days)
            deals.append(
                Deal(
                    external_id=f"{prefix}-{i}-{k}",
                    account=account,
                    owner=owner,
                    name="order",
                    amount=Decimal(100_000 + 1_000 * i),
                    status=Deal.Status.WON,
                    opened_on=day - timedelta(days=10),
                    closed_on=day,
                )
            )
    Deal.objects.bulk_create(deals)
    return made


@pytest.fixture
def history(strong_rep: Rep) -> list[Account]:
    """80 customers whose first purchases run from 2023-01 to 2026-05 (as of 2026-06-30): the sBG fits."""
    return add_purchases(strong_rep, accounts=80, first=date(2023, 1, 10), spacing_days=15, every_days=120, prefix="H")


@pytest.fixture
def short_history(strong_rep: Rep) -> list[Account]:
    """40 customers who all bought for the first time in 2026: too short a history, the classic curve stands in."""
    return add_purchases(strong_rep, accounts=40, first=date(2026, 1, 5), spacing_days=4, every_days=30, prefix="S")
