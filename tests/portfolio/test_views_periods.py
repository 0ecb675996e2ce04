"""Fiscal periods of the targets page: months, quarters and years from the company's start month."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from kokyaku.portfolio.periods import fiscal_periods, fiscal_year_of, period_of, period_parse


def test_an_april_fiscal_year_runs_to_the_end_of_march() -> None:
    fy = period_parse("FY2026", start_month=4)
    assert (fy.kind, fy.start, fy.end) == ("year", date(2026, 4, 1), date(2027, 3, 31))


def test_the_fourth_quarter_of_an_april_year_is_january_to_march() -> None:
    q4 = period_parse("FY2026-Q4", start_month=4)
    assert (q4.start, q4.end) == (date(2027, 1, 1), date(2027, 3, 31))


def test_a_calendar_fiscal_year_has_calendar_quarters() -> None:
    q2 = period_parse("FY2026-Q2", start_month=1)
    assert (q2.start, q2.end) == (date(2026, 4, 1), date(2026, 6, 30))


def test_a_month_ends_on_its_last_day_even_in_a_leap_february() -> None:
    assert period_parse("2028-02", start_month=4).end == date(2028, 2, 29)


def test_the_period_containing_a_day_follows_the_start_month() -> None:
    assert fiscal_year_of(date(2027, 2, 10), 4) == 2026
    assert period_of(date(2027, 2, 10), kind="quarter", start_month=4).key == "FY2026-Q4"
    assert period_of(date(2026, 11, 21), kind="month", start_month=4).key == "2026-11"


def test_a_fiscal_year_lists_itself_its_halves_four_quarters_and_twelve_months() -> None:
    periods = fiscal_periods(2026, start_month=10)
    assert [p.kind for p in periods] == ["year"] + ["half"] * 2 + ["quarter"] * 4 + ["month"] * 12
    assert (periods[1].start, periods[1].end) == (date(2026, 10, 1), date(2027, 3, 31))  # 上期
    assert (periods[2].start, periods[2].end) == (date(2027, 4, 1), date(2027, 9, 30))  # 下期
    assert periods[7].key == "2026-10"
    assert periods[-1].key == "2027-09"


def test_periods_read_as_japanese_users_name_them() -> None:
    with translation.override("ja"):
        labels = {p.key: p.label for p in fiscal_periods(2026, start_month=4)}
        assert period_of(date(2026, 11, 3), kind="half", start_month=4).key == "FY2026-H2"
    assert labels["FY2026"] == "2026年度"
    assert labels["FY2026-H1"] == "2026年度 上期"
    assert labels["FY2026-H2"] == "2026年度 下期"
    assert labels["FY2026-Q3"] == "2026年度 第3四半期"
    assert labels["2026-05"] == "2026年5月"
    with translation.override("en"):
        assert period_parse("FY2026-Q3", start_month=4).label == "FY2026 Q3"


@pytest.mark.parametrize("key", ["FY26", "2026-13", "FY2026-Q5", "", "Q1"])
def test_a_key_that_names_no_period_is_refused_with_the_accepted_forms(key: str) -> None:
    with pytest.raises(ValueError, match="FY2026-Q1"):
        period_parse(key, start_month=4)
