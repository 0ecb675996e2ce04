"""The home page: what exists so far, for whoever logs in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from kokyaku.crm import selectors
from kokyaku.crm.models import Account, CompanySettings, Deal, Rep
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = "2026-11-20 10:00 +09:00"


def _fill(owner: Rep, accounts: int, deals_per_account: int) -> None:
    accs = Account.objects.bulk_create(
        Account(external_id=f"BULK-{owner.pk}-{n}", name=f"Company {n}", owner=owner) for n in range(accounts)
    )
    Deal.objects.bulk_create(
        Deal(external_id=f"BD-{a.pk}-{k}", account=a, owner=owner, name=f"Deal {k}", amount=Decimal(1000),
             status="won", opened_on=date(2026, 5, 1), closed_on=date(2026, 6, 1))
        for a in accs for k in range(deals_per_account)
    )  # fmt: skip


def test_the_home_page_sends_anonymous_visitors_to_the_login_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@time_machine.travel(NOW, tick=False)
def test_the_home_page_shows_the_counts_and_this_years_won_revenue(
    rep_client: Client, strong_account: Account, developing_account: Account
) -> None:
    response = rep_client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="accounts">2<' in html
    assert 'data-testid="deals">1<' in html
    assert 'data-testid="deals-won">1<' in html
    assert 'data-testid="reps">2<' in html
    # The fixture's deal was won on 2026-03-01: fiscal year 2025 (April start), so nothing this year.
    assert 'data-testid="won-revenue">¥0<' in html
    assert "Line upgrade" in html  # the recent deal
    assert "Fuji Seiki" in html


@time_machine.travel(NOW, tick=False)
def test_won_revenue_moves_into_this_year_when_the_fiscal_year_starts_in_january(
    rep_client: Client, strong_account: Account
) -> None:
    CompanySettings.objects.update_or_create(pk=1, defaults={"fiscal_year_start_month": 1})
    html = rep_client.get("/").content.decode()
    assert 'data-testid="won-revenue">¥1,200,000<' in html
    assert "Fiscal year 2026 began on 2026-01-01" in html


@time_machine.travel(NOW, tick=False)
def test_a_rep_sees_their_own_account_count(
    developing_client: Client, strong_account: Account, developing_account: Account
) -> None:
    html = developing_client.get("/").content.decode()
    assert 'data-testid="my-accounts">1<' in html
    assert 'data-testid="accounts">2<' in html


@time_machine.travel(NOW, tick=False)
def test_an_admin_without_a_rep_sees_no_personal_figures(admin_user: object, strong_account: Account) -> None:
    html = client_for("admin").get("/").content.decode()
    assert 'data-testid="accounts">1<' in html
    assert "my-accounts" not in html


@time_machine.travel(NOW, tick=False)
def test_the_home_page_runs_the_same_bounded_number_of_queries_for_ten_or_five_hundred_deals(
    rep_client: Client, strong_rep: Rep, developing_rep: Rep, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _fill(strong_rep, accounts=5, deals_per_account=2)
    rep_client.get("/")  # warm up: creates the company settings row
    with CaptureQueriesContext(connection) as small:
        assert rep_client.get("/").status_code == 200
    _fill(developing_rep, accounts=100, deals_per_account=5)
    # session, user, 12-13 summary (the conversion rates among them), role, permissions, portfolio
    # panel (18), follow-ups due (2) and stale deals (1), hand-overs (1)
    with django_assert_max_num_queries(23):
        assert rep_client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as large:
        rep_client.get("/")
    assert len(large.captured_queries) == len(small.captured_queries)
    assert 'data-testid="approximate-note"' not in rep_client.get("/").content.decode()  # small tables: exact


@pytest.mark.postgres
@time_machine.travel(NOW, tick=False)
def test_estimated_counts_are_marked_on_the_page(
    rep_client: Client, strong_account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_account")
        cursor.execute("ANALYZE crm_deal")
    monkeypatch.setattr(selectors, "APPROXIMATE_ABOVE", 0)
    html = rep_client.get("/").content.decode()
    assert 'data-testid="approximate-note"' in html
    assert ">≈</span>1<" in html  # one account, estimated
