"""The back-test in the company currency: later revenue (and the past portfolio) converted at the company's rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kokyaku.crm.models import Account, ConversionRate, Deal, Rep
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.services import snapshot_create
from kokyaku.prediction import selectors, services

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 6, 30)
JULY = (date(2026, 7, 1), date(2026, 7, 31))


def _deal(account: Account, key: str, amount: int, currency: str, *, won_on: date | None = None, pct: int = 50) -> None:
    Deal.objects.create(
        external_id=key, account=account, owner=account.owner, amount=Decimal(amount), currency=currency,
        status=Deal.Status.WON if won_on else Deal.Status.OPEN, probability=None if won_on else pct,
        opened_on=won_on or date(2026, 5, 1), closed_on=won_on,
    )  # fmt: skip


@pytest.fixture
def accounts(strong_rep: Rep) -> list[Account]:
    """Nine accounts with one open yen deal each (i × ¥100,000 at i × 10 %); the first one's is in dollars."""
    out = [Account.objects.create(external_id=f"BT-{i}", name=f"Account {i}", owner=strong_rep) for i in range(1, 10)]
    for i, account in enumerate(out, start=1):
        _deal(account, f"O-{i}", 10_000 if i == 1 else i * 100_000, "USD" if i == 1 else "JPY", pct=i * 10)
    _deal(out[8], "W-JP", 900_000, "JPY", won_on=date(2026, 7, 20))
    _deal(out[8], "W-US", 1_000, "USD", won_on=date(2026, 7, 21))
    _deal(out[0], "W-GB", 500, "GBP", won_on=date(2026, 7, 22))  # never a rate: always left out
    return out


def test_later_deals_convert_a_currency_with_a_rate_and_leave_out_the_others(accounts: list[Account]) -> None:
    without = selectors.later_deals(*JULY, company="JPY", rates={})
    assert sorted(without["amount"]) == [900_000]
    with_rate = selectors.later_deals(*JULY, company="JPY", rates={"USD": Decimal("151.3")})
    assert sorted(with_rate["amount"]) == pytest.approx([151_300, 900_000])
    assert set(with_rate["account_id"]) == {accounts[8].pk}


def _zones_revenue(result: dict[str, Any]) -> dict[str, float]:
    return {z: float(result["zones"][z]["revenue"]) for z in ("A", "B", "C")}


def _expected(accounts: list[Account], later: dict[int, float]) -> dict[str, float]:
    """The later revenue per zone with the zones a snapshot as of the same day gives the accounts now."""
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    zone = dict(SnapshotRow.objects.filter(snapshot=snapshot).values_list("account_id", "zone"))
    out = dict.fromkeys(("A", "B", "C"), 0.0)
    for i, amount in later.items():
        out[zone[accounts[i].pk]] += amount
    return out


def test_the_backtest_counts_later_revenue_and_prices_the_past_portfolio_as_a_snapshot(accounts: list[Account]) -> None:
    _deal(accounts[0], "W-JP-1", 50_000, "JPY", won_on=date(2026, 7, 23))  # shows which zone the first account is in
    before = services.portfolio_backtest(as_of=AS_OF, horizon_months=1)
    # No rate: the USD win left out; the $10,000 open deal priced as stored (the lowest price), as the snapshot does.
    assert _zones_revenue(before) == pytest.approx(_expected(accounts, {8: 900_000, 0: 50_000}))
    assert _zones_revenue(before)["C"] == pytest.approx(50_000)
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    after = services.portfolio_backtest(as_of=AS_OF, horizon_months=1)
    # The USD win × 151.3 (GBP still left out); the first account priced at ¥1,513,000, the top price: out of C.
    assert _zones_revenue(after) == pytest.approx(_expected(accounts, {8: 900_000 + 151_300, 0: 50_000}))
    assert _zones_revenue(after)["C"] == 0
