"""The retention selector: what it reads (won deals up to the day, in the company currency), its queries, its cache."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kokyaku.crm.models import Account, CompanySettings, Deal, Rep
from kokyaku.crm.selectors import conversion_rates
from kokyaku.crm.services import conversion_rate_set
from kokyaku.domain.retention import measure_retention
from kokyaku.retention.selectors import cohort_freqs, cohort_label, load_purchases, measure, retention_report
from tests.retention.conftest import AS_OF, add_purchases

pytestmark = pytest.mark.django_db


def test_fiscal_frequencies_follow_the_start_month() -> None:
    assert cohort_freqs(4) == ("Y-MAR", "Q-MAR")
    assert cohort_freqs(1) == ("Y-DEC", "Q-DEC")
    assert cohort_freqs(10) == ("Y-SEP", "Q-SEP")


def test_cohorts_are_named_by_the_year_their_fiscal_year_starts_in() -> None:
    assert cohort_label("2027Q3", "Q-MAR", 4) == "FY2026-Q3"  # October-December 2026
    assert cohort_label("2027", "Y-MAR", 4) == "FY2026"
    assert cohort_label("2026Q1", "Q-DEC", 1) == "FY2026-Q1"
    assert cohort_label("2026", "Y-DEC", 1) == "FY2026"


def test_purchases_are_the_won_deals_up_to_the_day(history: list[Account], strong_rep: Rep) -> None:
    account = history[0]
    common = {"account": account, "owner": strong_rep, "name": "x", "amount": Decimal(5000)}
    Deal.objects.create(external_id="open", status=Deal.Status.OPEN, opened_on=date(2026, 1, 1), **common)
    Deal.objects.create(
        external_id="lost", status=Deal.Status.LOST, opened_on=date(2026, 1, 1), closed_on=date(2026, 2, 1), **common
    )
    Deal.objects.create(
        external_id="later", status=Deal.Status.WON, opened_on=date(2026, 6, 1), closed_on=AS_OF + timedelta(days=1), **common
    )
    Deal.objects.create(
        external_id="usd", status=Deal.Status.WON, opened_on=date(2026, 1, 1), closed_on=date(2026, 3, 3),
        currency="USD", **common,
    )  # fmt: skip
    frame = load_purchases(AS_OF, "JPY")
    won = Deal.objects.filter(status=Deal.Status.WON, closed_on__lte=AS_OF)
    assert len(frame) == won.count() > 200  # the USD one included
    assert Deal.objects.filter(status=Deal.Status.WON).count() > won.count()  # "later" (and the fixture's late ones) left out
    assert frame["purchased_on"].max() <= pd.Timestamp(AS_OF)
    assert frame.loc[frame["purchased_on"] == pd.Timestamp(2026, 3, 3), "amount"].tolist() == [
        0.0
    ]  # another currency: no revenue
    assert frame["amount"].sum() == float(sum(d.amount for d in won.exclude(currency="USD")))
    assert str(frame["purchased_on"].dtype).startswith("datetime64")


def test_a_purchase_in_a_currency_with_a_rate_counts_converted(history: list[Account], strong_rep: Rep, manager: User) -> None:
    common = {"account": history[0], "owner": strong_rep, "name": "x", "status": Deal.Status.WON, "opened_on": date(2026, 1, 1)}
    Deal.objects.create(external_id="usd", amount=Decimal(200), currency="USD", closed_on=date(2026, 3, 3), **common)
    Deal.objects.create(external_id="gbp", amount=Decimal(300), currency="GBP", closed_on=date(2026, 3, 4), **common)
    conversion_rate_set(actor=manager, currency="USD", rate="151.3")
    frame = load_purchases(AS_OF, "JPY", conversion_rates())
    by_day = frame.set_index("purchased_on")["amount"]
    assert by_day[pd.Timestamp(2026, 3, 3)] == pytest.approx(30260.0)  # 200 × 151.3
    assert by_day[pd.Timestamp(2026, 3, 4)] == 0.0  # no GBP rate: a purchase with no revenue, as before
    won_jpy = Deal.objects.filter(status=Deal.Status.WON, closed_on__lte=AS_OF, currency="JPY")
    assert frame["amount"].sum() == pytest.approx(float(sum(d.amount for d in won_jpy)) + 30260.0)


def test_a_new_rate_measures_afresh(history: list[Account], strong_rep: Rep, manager: User) -> None:
    Deal.objects.create(
        external_id="usd", account=history[0], owner=strong_rep, name="x", amount=Decimal(200), currency="USD",
        status=Deal.Status.WON, opened_on=date(2026, 1, 1), closed_on=date(2026, 3, 3),
    )  # fmt: skip
    CompanySettings.load()
    retention_report(AS_OF)
    assert _queries(lambda: retention_report(AS_OF)) == 3  # cached
    conversion_rate_set(actor=manager, currency="USD", rate="151.3")
    assert _queries(lambda: retention_report(AS_OF)) == 4  # the converted sum changed the fingerprint


def test_the_record_is_the_domain_report(history: list[Account]) -> None:
    record = measure(AS_OF)
    report = measure_retention(
        load_purchases(AS_OF, "JPY"), as_of=AS_OF, dormancy_days=365, year_freq="Y-MAR", quarter_freq="Q-MAR", n_draws=1000
    )
    assert record.model == "sbg"
    assert record.reason == "fitted"
    assert record.customers == report.customers == 80
    assert record.lost == report.lost > 10
    assert report.sbg is not None
    assert record.alpha == pytest.approx(report.sbg.alpha_)
    assert [p.model for p in record.points] == pytest.approx(report.curves["model"].tolist())
    assert [p.classic for p in record.points] == [1.0, 0.5, 0.275, 0.165]
    assert [f.remaining for f in record.forecast] == pytest.approx(report.forecast["remaining"].tolist())
    assert [f.revenue_at_stake_high for f in record.forecast] == pytest.approx(report.forecast["revenue_at_stake_high"].tolist())
    assert record.yearly.rows[0].cohort == "FY2022"  # fiscal years starting in April: January 2023 is in FY2022
    assert record.quarterly.rows[0].customers == report.cohorts_quarterly.sizes.iloc[0]
    assert len(record.series.years) == 37
    assert record.series.model[0] == pytest.approx(1.0)


def test_too_short_a_history_lets_the_classic_curve_stand_in(short_history: list[Account]) -> None:
    record = measure(AS_OF)
    assert record.model == "classic"
    assert record.reason == "short_history"
    assert record.alpha is None
    assert all(p.model is None for p in record.points)
    assert [round(f.classic_remaining, 6) for f in record.forecast] == [round(f.remaining, 6) for f in record.forecast]


def test_the_dormancy_period_comes_from_the_company_settings(history: list[Account]) -> None:
    before = measure(AS_OF)
    CompanySettings.objects.filter(pk=1).update(dormancy_days=200)
    after = measure(AS_OF)
    assert after.dormancy_days == 200
    assert after.lost > before.lost


def _queries(fn: object) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()  # type: ignore[operator]
    return len(ctx.captured_queries)


def test_a_fixed_number_of_queries_and_a_cache_that_sees_new_purchases(history: list[Account], strong_rep: Rep) -> None:
    CompanySettings.load()
    first = _queries(lambda: retention_report(AS_OF))
    add_purchases(strong_rep, accounts=40, first=date(2024, 2, 1), spacing_days=9, every_days=60, prefix="M")
    second = _queries(lambda: retention_report(AS_OF))
    assert first == second == 4  # settings, conversion rates, fingerprint, purchases: not one per account
    assert _queries(lambda: retention_report(AS_OF)) == 3  # cached: settings, rates and fingerprint only
    assert retention_report(AS_OF).customers == 120
    Deal.objects.filter(external_id="H-0-0").update(amount=Decimal(1))  # an edited amount measures afresh
    assert _queries(lambda: retention_report(AS_OF)) == 4
