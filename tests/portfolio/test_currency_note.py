"""Deals in another currency than the company's: the snapshot counts them, the portfolio pages say so.

Kokyaku does not convert amounts. A team that imported a USD pipeline (or GBP invoices) into a
company left at JPY saw "¥204" as the unit price of an account whose deals read "£204.00" on the
same page, with nothing to tell it why.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.portfolio.services import snapshot_create

pytestmark = pytest.mark.django_db


def _won(account: Account, rep: Rep, external_id: str, currency: str) -> None:
    Deal.objects.create(
        external_id=external_id, account=account, owner=rep, name=external_id, amount=Decimal("204"), currency=currency,
        status=Deal.Status.WON, opened_on=date(2026, 2, 1), closed_on=date(2026, 3, 1),
    )  # fmt: skip


def test_the_team_page_names_the_deals_in_other_currencies(
    strong_account: Account, strong_rep: Rep, manager_client: Client, rep_client: Client
) -> None:
    london = Account.objects.create(external_id="ACC-UK", name="London Gifts", owner=strong_rep)
    for i in range(3):
        _won(london, strong_rep, f"INV-{i}", "GBP")
    _won(london, strong_rep, "D-US", "USD")
    snapshot = snapshot_create(actor=None, as_of=date(2026, 4, 1))
    assert snapshot.notes["currencies"] == {"company": "JPY", "other": {"GBP": 3, "USD": 1}}

    page = manager_client.get("/portfolio/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    note = page.split('data-testid="currency-note"')[1].split("</div>")[0]
    assert "4 deals are not in the company currency (GBP 3 · USD 1)" in note
    assert "as if they were JPY" in note
    assert "set it in Company settings and compute the snapshot again" in note
    rep_page = rep_client.get("/portfolio/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "a manager can set it in Company settings" in rep_page.split('data-testid="currency-note"')[1].split("</div>")[0]
    ja = manager_client.get("/portfolio/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "4 件の商談" in ja.split('data-testid="currency-note"')[1].split("</div>")[0]


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
