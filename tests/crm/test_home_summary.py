"""The home page's figures: counts, this fiscal year's won revenue, the latest deals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from kokyaku.crm import selectors
from kokyaku.crm.models import Account, Activity, CompanySettings, ConversionRate, Deal, Rep, Team
from kokyaku.crm.selectors import fiscal_year_bounds, home_summary

TODAY = date(2026, 11, 20)
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("today", "start_month", "expected"),
    [
        (date(2026, 11, 20), 4, (date(2026, 4, 1), date(2027, 4, 1))),
        (date(2026, 2, 10), 4, (date(2025, 4, 1), date(2026, 4, 1))),
        (date(2026, 4, 1), 4, (date(2026, 4, 1), date(2027, 4, 1))),
        (date(2026, 3, 31), 4, (date(2025, 4, 1), date(2026, 4, 1))),
        (date(2026, 1, 1), 1, (date(2026, 1, 1), date(2027, 1, 1))),
        (date(2026, 11, 30), 12, (date(2025, 12, 1), date(2026, 12, 1))),
        (date(2026, 12, 1), 12, (date(2026, 12, 1), date(2027, 12, 1))),
    ],
)
def test_the_fiscal_year_contains_today_and_starts_in_the_configured_month(
    today: date, start_month: int, expected: tuple[date, date]
) -> None:
    assert fiscal_year_bounds(today=today, start_month=start_month) == expected


@pytest.mark.parametrize("month", [0, 13])
def test_a_fiscal_year_cannot_start_outside_months_one_to_twelve(month: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.12"):
        fiscal_year_bounds(today=TODAY, start_month=month)


def _deal(
    n: int, account: Account, owner: Rep | None, status: str, amount: str, opened: date, closed: date | None, **kw: str
) -> Deal:
    return Deal.objects.create(
        external_id=f"D-{n}", account=account, owner=owner, name=f"Deal {n}", amount=Decimal(amount),
        status=status, opened_on=opened, closed_on=closed, **kw,
    )  # fmt: skip


@pytest.fixture
def book(strong_rep: Rep, developing_rep: Rep) -> list[Deal]:
    """Two accounts of Tanaka, one of Suzuki; won deals inside and outside this fiscal year."""
    a1 = Account.objects.create(external_id="A1", name="Fuji Seiki", owner=strong_rep)
    a2 = Account.objects.create(external_id="A2", name="Minato Bank", owner=strong_rep)
    a3 = Account.objects.create(external_id="A3", name="Aoba Labs", owner=developing_rep)
    Team.objects.create(name="Osaka")
    Activity.objects.create(
        account=a1, rep=strong_rep, kind="visit", occurred_at=datetime(2026, 10, 1, 10, tzinfo=TOKYO), minutes=60
    )
    return [
        _deal(1, a1, strong_rep, "won", "1000000", date(2026, 3, 1), date(2026, 4, 1)),  # first day of FY2026: counts
        _deal(2, a1, strong_rep, "won", "500000", date(2026, 1, 1), date(2026, 3, 31)),  # last day of FY2025: not
        _deal(3, a2, strong_rep, "won", "250000", date(2026, 5, 1), date(2026, 9, 1)),
        _deal(4, a2, strong_rep, "won", "9999", date(2026, 5, 2), date(2026, 9, 2), currency="USD"),  # other currency
        _deal(5, a2, strong_rep, "open", "700000", date(2026, 10, 1), None),
        _deal(6, a3, developing_rep, "lost", "300000", date(2026, 6, 1), date(2026, 8, 1)),
        _deal(7, a3, developing_rep, "open", "400000", date(2026, 11, 1), None),
    ]


def test_it_counts_accounts_deals_by_status_activities_active_reps_and_teams(book: list[Deal]) -> None:
    Rep.objects.create(name="Retired Rep", active=False)
    summary = home_summary(user=User(), today=TODAY)
    assert (summary.accounts, summary.deals, summary.activities, summary.reps, summary.teams) == (3, 7, 1, 2, 2)
    assert (summary.deals_open, summary.deals_won, summary.deals_lost) == (2, 4, 1)


def test_won_revenue_counts_this_fiscal_years_wins_in_the_company_currency_only(book: list[Deal]) -> None:
    summary = home_summary(user=User(), today=TODAY)
    assert summary.won_revenue == Decimal("1250000")
    assert (summary.fiscal_year_start, summary.fiscal_year_end, summary.currency) == (date(2026, 4, 1), date(2027, 4, 1), "JPY")


def test_won_revenue_converts_a_deal_in_a_currency_with_a_rate(book: list[Deal]) -> None:
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    ConversionRate.objects.create(currency="EUR", rate=Decimal("163"))  # no EUR deal: changes nothing
    assert home_summary(user=User(), today=TODAY).won_revenue == Decimal("2762848.70")  # 1,250,000 + 9,999 × 151.3


def test_won_revenue_follows_the_fiscal_year_start_month_in_company_settings(book: list[Deal]) -> None:
    CompanySettings.objects.update_or_create(pk=1, defaults={"fiscal_year_start_month": 1})
    summary = home_summary(user=User(), today=TODAY)
    assert summary.fiscal_year_start == date(2026, 1, 1)
    assert summary.won_revenue == Decimal("1750000")


def test_won_revenue_is_zero_not_none_when_nothing_was_won(db: None) -> None:
    assert home_summary(user=User(), today=TODAY).won_revenue == Decimal(0)


def test_a_rep_also_gets_their_own_account_and_open_deal_counts(book: list[Deal], strong_rep: Rep) -> None:
    summary = home_summary(user=strong_rep.user, today=TODAY)
    assert (summary.my_accounts, summary.my_open_deals) == (2, 1)


def test_a_login_without_a_rep_gets_no_personal_counts(book: list[Deal], admin_user: User) -> None:
    summary = home_summary(user=admin_user, today=TODAY)
    assert summary.my_accounts is None
    assert summary.my_open_deals is None


def test_recent_deals_are_the_ten_newest_by_opening_date(strong_rep: Rep) -> None:
    account = Account.objects.create(external_id="A1", name="Fuji Seiki", owner=strong_rep)
    for n in range(15):
        _deal(n, account, strong_rep, "open", "1000", date(2026, 1, 1 + n), None)
    summary = home_summary(user=User(), today=TODAY)
    assert [d.external_id for d in summary.recent_deals] == [f"D-{n}" for n in range(14, 4, -1)]


def test_the_summary_takes_the_same_few_queries_for_one_deal_or_three_hundred(
    strong_rep: Rep, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    account = Account.objects.create(external_id="A1", name="Fuji Seiki", owner=strong_rep)
    Deal.objects.bulk_create(
        Deal(external_id=f"D-{n}", account=account, owner=strong_rep, amount=Decimal(n), status="won",
             opened_on=date(2026, 5, 1), closed_on=date(2026, 6, 1))
        for n in range(300)
    )  # fmt: skip
    user = User.objects.select_related("rep").get(username="tanaka")
    CompanySettings.load()  # the first load creates the row; measure the steady state
    with django_assert_max_num_queries(12):  # 11 (the conversion rates among them), and one for the table estimates on PostgreSQL
        summary = home_summary(user=user, today=TODAY)
        names = [(d.account.name, d.owner.name if d.owner else "") for d in summary.recent_deals]
    assert len(names) == 10


def test_counts_are_exact_and_never_flagged_approximate_on_sqlite(book: list[Deal], monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL estimate path is tested below")
    monkeypatch.setattr(selectors, "APPROXIMATE_ABOVE", 0)
    summary = home_summary(user=User(), today=TODAY)
    assert summary.approximate == frozenset()
    assert (summary.accounts, summary.deals_won) == (3, 4)


@pytest.mark.postgres
def test_big_postgresql_tables_are_counted_from_planner_statistics_and_flagged(
    book: list[Deal], strong_rep: Rep, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deal(8, book[5].account, None, "lost", "1", date(2026, 6, 2), date(2026, 8, 2))  # every status at least twice
    with connection.cursor() as cursor:
        for table in ("crm_account", "crm_deal", "crm_activity"):
            cursor.execute(f"ANALYZE {table}")
    monkeypatch.setattr(selectors, "APPROXIMATE_ABOVE", 0)  # every table counts as big
    summary = home_summary(user=strong_rep.user, today=TODAY)
    assert summary.approximate == {"accounts", "activities", "deals", "deals_open", "deals_won", "deals_lost"}
    # ANALYZE reads every row of a table this small, so the estimates are exact here.
    assert (summary.accounts, summary.activities) == (3, 1)
    assert (summary.deals_open, summary.deals_won, summary.deals_lost) == (2, 4, 2)
    assert summary.won_revenue == Decimal("1250000")  # money is always summed exactly
    assert summary.my_accounts == 2


@pytest.mark.postgres
def test_tables_below_the_threshold_are_counted_exactly_on_postgresql(book: list[Deal]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_deal")
    summary = home_summary(user=User(), today=TODAY)
    assert summary.approximate == frozenset()
    assert summary.deals == 7


@pytest.mark.postgres
def test_deals_are_counted_exactly_when_a_status_is_too_rare_for_the_statistics(
    book: list[Deal], monkeypatch: pytest.MonkeyPatch
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_deal")  # the single lost deal is not among the most common values
    monkeypatch.setattr(selectors, "APPROXIMATE_ABOVE", 0)
    summary = home_summary(user=User(), today=TODAY)
    assert "deals_lost" not in summary.approximate
    assert (summary.deals_open, summary.deals_won, summary.deals_lost) == (2, 4, 1)
