"""Purchases: invoice lines summed into won deals; cancellations, credits and customer-less lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kokyaku.crm.models import Account, Deal
from kokyaku.imports.mapping import mapping_parse
from kokyaku.imports.services import import_run
from tests.imports.conftest import write

pytestmark = pytest.mark.usefixtures("seeded")

MAPPING = mapping_parse(
    """
kind = "purchases"
[columns]
invoice = "InvoiceNo"
account = "CustomerID"
account_name = "Customer {CustomerID}"
account_region = "Country"
date = "InvoiceDate"
quantity = "Quantity"
unit_price = "UnitPrice"
[constants]
currency = "GBP"
[options]
skip_when_empty = ["account"]
id_prefix = "INV-"
cancellation_prefix = "C"
""",
    name="test",
)

LINES = """InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
100,A,2,2011-01-05 09:00:00,10.00,17850.0,United Kingdom
100,B,1,2011-01-05 09:01:00,5.50,17850.0,United Kingdom
100,A,-1,2011-01-05 09:02:00,10.00,17850.0,United Kingdom
101,C,3,2011-01-06 10:00:00,1.00,,United Kingdom
C100,B,-1,2011-01-07 11:00:00,5.50,17850.0,United Kingdom
C200,D,-4,2011-01-08 12:00:00,2.00,12345.0,France
300,E,0,2011-01-09 12:00:00,2.00,12345.0,France
"""


def test_invoice_lines_become_one_won_purchase_reduced_by_its_returns_and_cancellation(tmp_path: Path) -> None:
    summary = import_run(actor=None, kind="purchases", path=write(tmp_path, "retail.csv", LINES), mapping=MAPPING)
    deal = Deal.objects.get(external_id="INV-100")
    # 2 x 10 + 5.50 - 10 (return line) - 5.50 (cancellation C100) = 10
    assert (deal.amount, deal.status, deal.currency, str(deal.closed_on)) == (Decimal("10.00"), "won", "GBP", "2011-01-05")
    assert deal.name == "Invoice 100"
    assert deal.account.name == "Customer 17850"
    assert deal.account.region == "United Kingdom"
    assert summary.invoices == 1
    assert summary.created == 1


def test_purchases_with_a_net_of_zero_or_less_are_counted_not_stored(tmp_path: Path) -> None:
    summary = import_run(actor=None, kind="purchases", path=write(tmp_path, "retail.csv", LINES), mapping=MAPPING)
    assert not Deal.objects.filter(external_id__in=["INV-200", "INV-C200", "INV-300"]).exists()
    assert summary.credit_notes == 2  # C200 (-8) and 300 (0)
    assert summary.credit_total == pytest.approx(-8.0)


def test_lines_without_a_customer_are_skipped_counted_and_listed(tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    summary = import_run(
        actor=None, kind="purchases", path=write(tmp_path, "retail.csv", LINES), mapping=MAPPING, rejects_path=rejects
    )
    assert (summary.skipped, summary.skipped_reason) == (1, "account empty")
    assert not Deal.objects.filter(external_id="INV-101").exists()
    listed = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert listed[1].startswith("101,C,3,")
    assert listed[1].endswith(",5,,skipped: account empty")


def test_customers_are_created_once_and_a_reimport_is_all_unchanged(tmp_path: Path) -> None:
    path = write(tmp_path, "retail.csv.gz", LINES)
    first = import_run(actor=None, kind="purchases", path=path, mapping=MAPPING)
    assert first.accounts_created == 2  # 17850 and 12345 (the latter only has a credit, but exists)
    assert Account.objects.filter(external_id="17850").count() == 1
    second = import_run(actor=None, kind="purchases", path=path, mapping=MAPPING)
    assert (second.created, second.updated, second.unchanged, second.accounts_created) == (0, 0, 1, 0)


def test_one_invoice_with_two_customers_is_refused(tmp_path: Path) -> None:
    text = LINES + "100,Z,1,2011-01-05 09:00:00,1.00,99999,Japan\n"
    from kokyaku.imports.errors import ImportInvalid

    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="purchases", path=write(tmp_path, "mixed.csv", text), mapping=MAPPING)
    assert "one invoice, two customers" in caught.value.problems[0].reason
    assert not Deal.objects.filter(external_id="INV-100").exists()


def test_a_mapping_in_another_currency_than_the_company_says_so_in_the_summary(tmp_path: Path) -> None:
    """The Online Retail mapping writes GBP; a company left at JPY would count none of that revenue, silently."""
    from kokyaku.crm.models import CompanySettings, ConversionRate

    summary = import_run(actor=None, kind="purchases", path=write(tmp_path, "retail.csv", LINES), mapping=MAPPING)
    warned = [str(note) for note in summary.notes if "not the company currency" in str(note)]
    assert warned == [
        "every row is in GBP, not the company currency JPY, and it has no conversion rate: revenue figures leave these "
        "rows out, and pages and exports show amounts as JPY; if the company works in GBP, set it (kokyaku company "
        "--currency GBP, or Company settings), else set a rate (kokyaku company --rate GBP=...)"
    ]
    rate = ConversionRate.objects.create(currency="GBP", rate=Decimal("190"))  # converted: nothing to warn of
    converted = import_run(actor=None, kind="purchases", path=write(tmp_path, "retail.csv", LINES), mapping=MAPPING)
    assert not [note for note in converted.notes if "not the company currency" in str(note)]
    rate.delete()
    CompanySettings.objects.filter(pk=1).update(currency="GBP")
    again = import_run(actor=None, kind="purchases", path=write(tmp_path, "retail.csv", LINES), mapping=MAPPING)
    assert not [note for note in again.notes if "not the company currency" in str(note)]
