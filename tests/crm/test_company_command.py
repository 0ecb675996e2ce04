"""`kokyaku company`: the company settings from the command line (docs/import.md: the Online Retail
purchases are in pounds, so a team sets GBP before its revenue counts and its exports show £)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kokyaku.crm.models import CompanySettings, ConversionRate

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("company", *args, stdout=out)
    return out.getvalue()


def test_shows_the_settings_without_changing_them() -> None:
    assert run().strip() == "currency JPY, fiscal year from month 4, dormant after 365 days without a purchase and nothing open"
    assert CompanySettings.load().currency == "JPY"


def test_changes_only_what_is_given() -> None:
    text = run("--currency", "gbp", "--dormancy-days", "120")
    assert "currency GBP" in text
    company = CompanySettings.load()
    assert (company.currency, company.fiscal_year_start_month, company.dormancy_days) == ("GBP", 4, 120)
    run("--fiscal-year-start", "1")
    company = CompanySettings.load()
    assert (company.currency, company.fiscal_year_start_month, company.dormancy_days) == ("GBP", 1, 120)


def test_a_bad_value_names_the_field_and_changes_nothing() -> None:
    with pytest.raises(CommandError) as error:
        run("--currency", "yen", "--dormancy-days", "0")
    message = str(error.value)
    assert "currency:" in message
    assert "'yen'" in message
    assert "dormancy_days:" in message
    assert "nothing was changed" in message
    company = CompanySettings.load()
    assert (company.currency, company.dormancy_days) == ("JPY", 365)


def test_sets_lists_and_clears_conversion_rates() -> None:
    text = run("--rate", "usd=151.3", "--rate", "EUR=163")
    assert text.splitlines()[1] == "conversion rates (JPY for one unit): EUR 163, USD 151.3"
    assert dict(ConversionRate.objects.values_list("currency", "rate")) == {"EUR": Decimal("163"), "USD": Decimal("151.3")}
    assert "USD 151.3" in run()  # listed without a change
    run("--rate", "USD=150")  # a new value replaces the old
    assert ConversionRate.objects.get(currency="USD").rate == Decimal("150")
    text = run("--clear-rate", "usd")
    assert text.splitlines()[1] == "conversion rates (JPY for one unit): EUR 163"
    run("--clear-rate", "EUR")
    assert len(run().splitlines()) == 1  # no rates: the one line as before
    assert not ConversionRate.objects.exists()


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("USD", "write CODE=RATE, e.g. --rate USD=151.3"),
        ("YEN=1", "currency: use an ISO 4217 currency code such as USD or EUR, not 'YEN'"),
        ("JPY=1", "currency: JPY is the company currency: its amounts need no rate"),
        ("USD=0", "rate: a rate is a number above 0 (units of JPY for one USD), not '0'"),
        ("USD=-3", "rate: a rate is a number above 0 (units of JPY for one USD), not '-3'"),
        ("USD=abc", "rate: a rate is a number above 0 (units of JPY for one USD), not 'abc'"),
        ("USD=1.123456789", "rate: Ensure that there are no more than 8 decimal places"),
    ],
)
def test_a_bad_rate_says_what_is_wrong_and_changes_nothing(rate: str, expected: str) -> None:
    run("--rate", "EUR=163")
    with pytest.raises(CommandError) as error:
        run("--rate", rate, "--clear-rate", "EUR")
    assert expected in str(error.value)
    assert str(error.value).endswith("nothing was changed")
    assert list(ConversionRate.objects.values_list("currency", flat=True)) == ["EUR"]  # the clear rolled back too


def test_the_company_currency_does_not_change_under_its_rates() -> None:
    run("--rate", "USD=151.3")
    with pytest.raises(CommandError) as error:
        run("--currency", "USD")
    assert "the conversion rates are in JPY: remove them before changing the company currency" in str(error.value)
    assert CompanySettings.load().currency == "JPY"
    text = run("--clear-rate", "USD", "--currency", "USD", "--rate", "JPY=0.0066")
    assert "currency USD" in text
    assert text.splitlines()[1] == "conversion rates (USD for one unit): JPY 0.0066"
