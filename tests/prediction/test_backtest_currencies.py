"""The back-test in the company currency: later revenue (and the past portfolio) converted at the company's rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client

from kokyaku.crm.models import Account, ConversionRate, Deal, Rep
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.services import snapshot_create
from kokyaku.prediction import selectors, services
from kokyaku.prediction.models import ModelVersion

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


def test_later_deals_convert_a_currency_with_a_rate_and_leave_the_others_without_an_amount(accounts: list[Account]) -> None:
    def amounts(rates: dict[str, Decimal]) -> dict[str, float | None]:
        frame = selectors.later_deals(*JULY, company="JPY", rates=rates)
        return {str(c): None if pd.isna(a) else float(a) for c, a in zip(frame["currency"], frame["amount"], strict=True)}

    assert amounts({}) == {"JPY": 900_000, "USD": None, "GBP": None}  # never added up as if they were yen
    assert amounts({"USD": Decimal("151.3")}) == pytest.approx({"JPY": 900_000, "USD": 151_300, "GBP": None})


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


def test_the_model_page_says_which_later_deals_the_backtest_left_out(accounts: list[Account], manager_client: Client) -> None:
    result = services.portfolio_backtest(as_of=AS_OF, horizon_months=1)
    assert result["left_out"] == {"GBP": 1, "USD": 1}  # no rate yet: both foreign wins left out, counted per currency
    version = ModelVersion.objects.create(as_of=AS_OF, report={"backtest": result})
    html = manager_client.get("/prediction/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 won deals are left out of the later revenue" in html
    assert "(GBP 1 · USD 1)" in html
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    again = services.portfolio_backtest(as_of=AS_OF, horizon_months=1)
    assert again["left_out"] == {"GBP": 1}
    ModelVersion.objects.filter(pk=version.pk).update(report={"backtest": again})
    ja = manager_client.get("/prediction/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'data-testid="backtest-left-out"' in ja
    assert "後の売上に含まれていません（GBP 1）" in ja  # translated
    ConversionRate.objects.create(currency="GBP", rate=Decimal("190"))
    ModelVersion.objects.filter(pk=version.pk).update(
        report={"backtest": services.portfolio_backtest(as_of=AS_OF, horizon_months=1)}
    )
    assert 'data-testid="backtest-left-out"' not in manager_client.get("/prediction/").content.decode()


def test_the_backtest_command_says_which_later_deals_it_left_out(accounts: list[Account]) -> None:
    out = StringIO()
    call_command("backtest", "--as-of", AS_OF.isoformat(), "--horizon-months", "1", stdout=out)
    assert "2 won deals are left out of the later revenue: no conversion rate is set for their currency (GBP 1 · USD 1)" in (
        out.getvalue()
    )
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    ConversionRate.objects.create(currency="GBP", rate=Decimal("190"))
    out = StringIO()
    call_command("backtest", "--as-of", AS_OF.isoformat(), "--horizon-months", "1", stdout=out)
    assert "left out" not in out.getvalue()
