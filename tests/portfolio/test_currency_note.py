"""Deals in another currency than the company's: converted at the company's rates, else counted as stored and named.

A team that imported a USD pipeline (or GBP invoices) into a company left at JPY saw "¥204" as the
unit price of an account whose deals read "£204.00" on the same page, with nothing to tell it why.
A manager now sets a conversion rate (USD 151.3 for a JPY company): the snapshot multiplies those
deals' amounts by it; a currency without a rate is still counted as stored, and the pages say so.
Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.crm.services import conversion_rate_set
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.services import snapshot_create

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 4, 1)


def _won(account: Account, rep: Rep, external_id: str, currency: str, amount: str = "204") -> None:
    Deal.objects.create(
        external_id=external_id, account=account, owner=rep, name=external_id, amount=Decimal(amount), currency=currency,
        status=Deal.Status.WON, opened_on=date(2026, 2, 1), closed_on=date(2026, 3, 1),
    )  # fmt: skip


def _row(snapshot_id: int, account: Account) -> SnapshotRow:
    return SnapshotRow.objects.get(snapshot_id=snapshot_id, account=account)


def _note(page: str, testid: str = "currency-note") -> str:
    return page.split(f'data-testid="{testid}"')[1].split("</div>")[0]


def test_the_team_page_names_the_deals_without_a_rate(
    strong_account: Account, strong_rep: Rep, manager_client: Client, rep_client: Client
) -> None:
    london = Account.objects.create(external_id="ACC-UK", name="London Gifts", owner=strong_rep)
    for i in range(3):
        _won(london, strong_rep, f"INV-{i}", "GBP")
    _won(london, strong_rep, "D-US", "USD")
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    assert snapshot.notes["currencies"] == {"company": "JPY", "other": {"GBP": 3, "USD": 1}}
    assert _row(snapshot.pk, london).unit_price == Decimal("204.00")  # counted as stored, as before rates existed

    page = manager_client.get("/portfolio/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    note = _note(page)
    assert "4 deals are not converted: no conversion rate is set for their currency (GBP 3 · USD 1)" in note
    assert "as if they were JPY" in note
    assert "Set a conversion rate for each in Company settings" in note
    assert "compute the snapshot again" in note
    assert 'data-testid="currency-converted"' not in page
    rep_page = rep_client.get("/portfolio/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A manager can set conversion rates in Company settings" in _note(rep_page)
    ja = manager_client.get("/portfolio/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "4 件の商談" in _note(ja)
    assert "換算レート" in _note(ja)


def test_a_rate_converts_the_unit_price_and_expected_value(
    strong_account: Account, strong_rep: Rep, manager: User, manager_client: Client
) -> None:
    """Fuji Seiki: ¥1,200,000. Acme: USD 204 only. Mixed: ¥30,000 and USD 200, median of ¥30,000 and ¥30,260."""
    acme = Account.objects.create(external_id="ACC-US", name="Acme", owner=strong_rep)
    _won(acme, strong_rep, "US-1", "USD", "204")
    mixed = Account.objects.create(external_id="ACC-MIX", name="Mixed KK", owner=strong_rep)
    _won(mixed, strong_rep, "MIX-JPY", "JPY", "30000")
    _won(mixed, strong_rep, "MIX-USD", "USD", "200")
    _won(mixed, strong_rep, "MIX-GBP", "GBP", "1")  # no rate: counted as ¥1, and named
    conversion_rate_set(actor=manager, currency="usd", rate="151.3")

    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    assert snapshot.notes["currencies"] == {
        "company": "JPY", "converted": {"USD": {"rate": "151.3", "deals": 2}}, "other": {"GBP": 1},
    }  # fmt: skip
    assert _row(snapshot.pk, strong_account).unit_price == Decimal("1200000.00")
    row = _row(snapshot.pk, acme)
    assert row.unit_price == Decimal("30865.20")  # 204 × 151.3
    assert row.win_probability is not None
    assert float(row.expected_value or 0) == pytest.approx(30865.20 * row.win_probability, abs=0.01)
    assert _row(snapshot.pk, mixed).unit_price == Decimal("30000.00")  # median of 1, 30,000 and 30,260 (200 × 151.3)

    page = manager_client.get("/portfolio/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    converted = _note(page, "currency-converted")
    assert "2 deals in other currencies are converted to JPY at the company's rates (USD 2 × 151.3)" in converted
    assert "1 deals are not converted: no conversion rate is set for their currency (GBP 1)" in _note(page)
    ja = manager_client.get("/portfolio/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "USD 2 × 151.3" in _note(ja, "currency-converted")


def test_with_a_rate_for_every_currency_only_the_converted_note_shows(
    strong_account: Account, strong_rep: Rep, manager: User, manager_client: Client
) -> None:
    _won(strong_account, strong_rep, "D-US", "USD", "10000")  # median of ¥1,200,000 and ¥1,513,000
    conversion_rate_set(actor=manager, currency="USD", rate=Decimal("151.3"))
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    assert "other" not in snapshot.notes["currencies"]
    assert _row(snapshot.pk, strong_account).unit_price == Decimal("1356500.00")
    page = manager_client.get("/portfolio/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="currency-note"' not in page
    assert "USD 1 × 151.3" in _note(page, "currency-converted")


def test_no_note_when_every_deal_is_in_the_company_currency(strong_account: Account, manager_client: Client) -> None:
    snapshot = snapshot_create(actor=None, as_of=date(2026, 4, 1))
    assert "currencies" not in snapshot.notes
    assert 'data-testid="currency-note"' not in manager_client.get("/portfolio/").content.decode()


def test_an_imported_invoice_shows_its_stage_in_the_readers_language(strong_rep: Rep, manager_client: Client) -> None:
    """Purchases are stored with Kokyaku's own stage code "purchase", shown raw on the Japanese page."""
    shop = Account.objects.create(external_id="ACC-SHOP", name="Shop", owner=strong_rep)
    deal = Deal.objects.create(
        external_id="INV-1", account=shop, owner=strong_rep, name="Invoice 1", amount=Decimal("5000"), stage="purchase",
        status=Deal.Status.WON, opened_on=date(2026, 2, 1), closed_on=date(2026, 2, 1),
    )  # fmt: skip
    ja = manager_client.get(f"/portfolio/accounts/{shop.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    row = ja.split(deal.name)[1].split("</tr>")[0]
    assert "購入" in row
    assert "purchase" not in row
