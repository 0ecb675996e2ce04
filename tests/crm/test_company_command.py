"""`kokyaku company`: the company settings from the command line (docs/import.md: the Online Retail
purchases are in pounds, so a team sets GBP before its revenue counts and its exports show £)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kokyaku.crm.models import CompanySettings

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
