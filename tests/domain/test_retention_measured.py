"""Lifetimes, cohort tables, Kaplan–Meier and the forecast, on purchases worked out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kokyaku.domain.errors import DomainError
from kokyaku.domain.retention import (
    ClassicRetention,
    ShiftedBetaGeometric,
    cohort_table,
    customer_lifetimes,
    kaplan_meier,
    measure_retention,
    purchases_from_deals,
    retention_forecast,
    survival_periods,
)

AS_OF = date(2026, 6, 30)


def cell(frame: pd.DataFrame, row: object, column: object) -> float:
    return float(np.asarray(frame.at[row, column], dtype=float))


def cells(frame: pd.DataFrame, row: object, columns: list[int]) -> list[float]:
    return [cell(frame, row, c) for c in columns]


def purchases(*rows: tuple[int, str, float]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "purchased_on", "amount"])
    frame["purchased_on"] = pd.to_datetime(frame["purchased_on"])
    return frame


def test_lifetimes_are_lost_after_the_dormancy_period_and_censored_at_tenure_less_it() -> None:
    p = purchases(
        (1, "2025-01-01", 10), (1, "2025-03-01", 20),  # quiet 486 days: lost, lifetime 59 days
        (2, "2025-01-01", 5), (2, "2026-06-01", 7),  # bought a month ago: censored at 545 - 365 = 180 days
        (3, "2026-05-01", 1),  # new: tenure 60 < 365, censored at 0
        (4, "2026-07-05", 100),  # after the as-of date: not seen
    )  # fmt: skip
    life = customer_lifetimes(p, as_of=AS_OF, dormancy_days=365)
    assert list(life.index) == [1, 2, 3]
    assert life["lost"].tolist() == [True, False, False]
    assert life["lifetime_days"].tolist() == [59, 516, 0]
    assert life["tenure_days"].tolist() == [545, 545, 60]
    assert life["observed_days"].tolist() == [59, 180, 0]
    assert life["revenue_12m"].tolist() == [0.0, 7.0, 1.0]
    assert life["purchase_days"].tolist() == [2, 2, 1]


def test_purchases_come_from_won_deals_by_their_close_date() -> None:
    deals = pd.DataFrame(
        {
            "account_id": [1, 1, 2],
            "status": ["won", "lost", "open"],
            "amount": [10.0, 20.0, 30.0],
            "closed_on": pd.to_datetime(pd.Series(["2026-01-05", "2026-02-01", None])),
        }
    )
    p = purchases_from_deals(deals)
    assert p.to_dict("list") == {"account_id": [1], "purchased_on": [pd.Timestamp("2026-01-05")], "amount": [10.0]}


def test_the_sbg_sees_a_loss_only_in_a_period_that_was_whole_before_censoring() -> None:
    life = pd.DataFrame(
        {
            "lifetime_days": [100, 400, 800, 10],
            "tenure_days": [1000, 1000, 1200, 900],
            "lost": [True, True, True, False],
        }
    )
    periods, lost = survival_periods(life, periods_per_year=1, dormancy_days=365)
    # horizons: floor((1000 - 365) / 365.25) = 1, 1, floor(835 / 365.25) = 2, floor(535 / 365.25) = 1
    # customer 1 left in year 1: seen; customer 2 left in year 2, beyond its whole year: censored at 1;
    # customer 3 left in year 3, beyond its two whole years: censored at 2; customer 4 censored at 1
    assert periods.tolist() == [0, 1, 2, 1]
    assert lost.tolist() == [True, False, False, False]


def test_kaplan_meier_matches_the_product_limit_by_hand() -> None:
    life = pd.DataFrame({"observed_days": [0, 10, 10, 20, 30], "lost": [True, True, False, True, False]})
    km = kaplan_meier(life)
    # day 0: 1 of 5 lost -> 0.8; day 10: 1 of 4 -> 0.6; day 20: 1 of 2 -> 0.3
    assert km["survival"].loc[[0.0, 10.0, 20.0, 30.0]].tolist() == pytest.approx([0.8, 0.6, 0.3, 0.3])
    assert km["at_risk"].loc[[0.0, 10.0, 20.0, 30.0]].tolist() == [5, 4, 2, 1]
    assert bool((km["lower"] <= km["survival"]).all())
    assert bool((km["survival"] <= km["upper"]).all())
    on_grid = kaplan_meier(life, timeline=[0, 15, 25])
    assert on_grid["survival"].tolist() == pytest.approx([0.8, 0.6, 0.3])


def test_customers_too_recent_to_be_seen_lost_stay_out_of_kaplan_meier() -> None:
    # two one-time buyers lost at day 0, two more who bought within the dormancy period (censored at 0)
    life = pd.DataFrame({"observed_days": [0, 0, 0, 0, 40], "lost": [True, True, False, False, False]})
    km = kaplan_meier(life)
    assert float(km["survival"].iloc[0]) == pytest.approx(1 / 3)  # 2 of the 3 that could be seen, not 2 of 5
    with pytest.raises(DomainError, match="observed long enough"):
        kaplan_meier(life.iloc[2:4])


def test_the_cohort_table_counts_who_bought_in_each_later_period() -> None:
    p = purchases(
        (1, "2025-01-10", 1), (1, "2025-04-02", 1), (1, "2025-10-01", 1),  # Q1: buys in Q+1 and Q+3
        (2, "2025-02-10", 1), (2, "2025-02-20", 1),  # Q1: only in its first quarter
        (3, "2025-05-01", 1), (3, "2026-06-30", 1),  # Q2: again in Q+4
        (4, "2026-06-01", 1),  # Q2 2026: its first quarter ended on the as-of date
        (5, "2026-07-01", 1),  # later: not seen
    )  # fmt: skip
    table = cohort_table(p, as_of=AS_OF, freq="Q")
    assert table.sizes.to_dict() == {"2025Q1": 2, "2025Q2": 1, "2026Q2": 1}
    assert cells(table.active, "2025Q1", [0, 1, 2, 3]) == [1.0, 0.5, 0.0, 0.5]
    assert cells(table.active, "2025Q2", [0, 1, 4]) == [1.0, 0.0, 1.0]
    assert [int(c) for c in table.active.columns] == [0, 1, 2, 3, 4, 5]  # 2025Q1 + 5 = 2026Q2, the last whole quarter
    assert np.isnan(cell(table.active, "2025Q2", 5))  # 2025Q2 + 5 = 2026Q3 had not ended
    assert cell(table.counts, "2025Q1", 3) == 1
    assert cell(table.active, "2026Q2", 0) == 1.0
    assert np.isnan(cell(table.active, "2026Q2", 1))  # 2026Q3 had not ended


def test_a_period_that_has_not_ended_stays_empty() -> None:
    p = purchases((1, "2026-01-10", 1), (1, "2026-06-15", 1))
    table = cohort_table(p, as_of=date(2026, 6, 29), freq="Q")
    assert cell(table.active, "2026Q1", 0) == 1.0
    assert np.isnan(cell(table.active, "2026Q1", 1))  # Q2 ends on June 30
    yearly = cohort_table(p, as_of=AS_OF, freq="Y")
    assert np.isnan(cell(yearly.active, "2026", 0))  # 2026 has not ended: not even its first year is whole


def test_fiscal_years_and_bad_frequencies() -> None:
    p = purchases((1, "2025-03-31", 1), (2, "2025-04-01", 1))
    table = cohort_table(p, as_of=AS_OF, freq="Y-MAR")  # fiscal years from April
    assert table.sizes.to_dict() == {"2025": 1, "2026": 1}
    with pytest.raises(DomainError, match="frequency"):
        cohort_table(p, as_of=AS_OF, freq="fortnight")


def test_the_forecast_with_the_classic_curve_keeps_50_27_5_16_5_of_new_customers() -> None:
    got = retention_forecast(np.zeros(1000), np.full(1000, 10.0), curve=ClassicRetention(), n_draws=2000)
    assert got["remaining"].tolist() == pytest.approx([500, 275, 165])
    assert got["revenue_at_stake"].tolist() == pytest.approx([5000, 7250, 8350])
    # chance alone: sd of a binomial(1000, 0.5) is 15.8, so the 90% interval is about ±26
    assert got.loc[1, "remaining_low"] == pytest.approx(474, abs=5)
    assert got.loc[1, "remaining_high"] == pytest.approx(526, abs=5)
    assert got["customers"].tolist() == [1000, 1000, 1000]


def test_a_long_standing_customer_is_likelier_to_stay() -> None:
    tenure = np.array([0.0, 365.25, 730.5])
    got = retention_forecast(tenure, np.ones(3), curve=ClassicRetention(), years=(1,))
    # 0.5 for the newcomer, 0.55 after a year, 0.60 after two
    assert got.loc[1, "remaining"] == pytest.approx(0.5 + 0.55 + 0.60)


def test_the_sbg_forecast_interval_widens_with_the_horizon_and_holds_the_point() -> None:
    rng = np.random.default_rng(5)
    life = rng.geometric(rng.beta(1.0, 3.0, size=400))
    lost = life <= 3
    model = ShiftedBetaGeometric(periods_per_year=1).fit(np.where(lost, life - 1, 3), lost)
    got = retention_forecast(np.full(300, 365.25), np.full(300, 100.0), curve=model, random_state=3)
    assert bool((got["remaining_low"] < got["remaining"]).all())
    assert bool((got["remaining"] < got["remaining_high"]).all())
    assert bool((got["revenue_at_stake_low"] < got["revenue_at_stake"]).all())
    assert got["remaining"].tolist() == pytest.approx((300 * model.survival([2, 3, 4]) / model.survival(1)).tolist())
    assert bool(np.all(np.diff(got["remaining"]) < 0))


def test_with_a_short_history_the_classic_curve_stands_in_and_says_so() -> None:
    p = purchases((1, "2026-01-05", 10), (2, "2026-02-01", 20), (2, "2026-05-01", 30))
    report = measure_retention(p, as_of=AS_OF, dormancy_days=90)
    assert report.model == "classic"
    assert report.reason == "short_history"
    assert report.sbg is None
    assert report.forecast["remaining"].tolist() == pytest.approx(report.forecast_classic["remaining"].tolist())
    assert report.curves["classic"].tolist() == pytest.approx([1.0, 0.5, 0.275, 0.165])
    assert report.curves["model"].isna().all()


def simulated_purchases(customers: int, seed: int) -> pd.DataFrame:
    """Customers joining over five years, each buying monthly until it leaves at the end of a year (sBG 1.5 / 3)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-07-01") + pd.to_timedelta(rng.integers(0, 1826, customers), unit="D")
    years = rng.geometric(rng.beta(1.5, 3.0, size=customers))
    months = np.minimum(years * 12, 120)
    rows = np.repeat(np.arange(customers), months)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(months) - months, months)
    day = start[rows] + pd.to_timedelta(k * 30, unit="D")
    return pd.DataFrame({"account_id": rows, "purchased_on": day, "amount": 100.0})


def test_with_enough_history_the_sbg_is_fitted_and_projects_years_ahead() -> None:
    report = measure_retention(simulated_purchases(3000, seed=2), as_of=AS_OF, dormancy_days=90, periods_per_year=1)
    assert report.model == "sbg"
    assert report.reason == "fitted"
    assert report.sbg is not None
    # customers leave at a year's end; the simulation's own retention is 1.5 / 4.5 lost in year one
    assert report.curves.loc[1, "model"] == pytest.approx(3.0 / 4.5, abs=0.05)
    assert report.curves.loc[1, "kaplan_meier"] == pytest.approx(3.0 / 4.5, abs=0.05)
    assert cell(report.retention_rates, 2, "model") > cell(report.retention_rates, 1, "model")
    assert set(report.cohorts_yearly.sizes.index) >= {"2021", "2022", "2023", "2024"}
    assert report.forecast.loc[1, "customers"] == int((~customer_lifetimes(
        simulated_purchases(3000, seed=2), as_of=AS_OF, dormancy_days=90)["lost"]).sum())  # fmt: skip


def test_the_forecast_can_cover_the_given_active_accounts_only() -> None:
    p = simulated_purchases(500, seed=4)
    report = measure_retention(p, as_of=AS_OF, dormancy_days=90, active_ids=[0, 1, 2, 99_999])
    assert report.forecast.loc[1, "customers"] == 3  # 99,999 never bought: not a customer to keep
