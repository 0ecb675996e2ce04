"""Dormancy and the sBG on real purchases (UCI Online Retail): the claims docs/retention.md makes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from benchmarks.online_retail import LAST_DAY, RETAIL, load_deals
from benchmarks.retention_backtest import geometric_survival, lifecycle_rates, month_ends
from kokyaku.domain.retention import (
    DAYS_PER_YEAR,
    ShiftedBetaGeometric,
    customer_lifetimes,
    kaplan_meier,
    purchases_from_deals,
    survival_periods,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deals() -> pd.DataFrame:
    assert RETAIL.exists(), f"the UCI Online Retail data set is missing: {RETAIL}"
    return load_deals()


def test_the_purchases_are_read_as_the_import_stores_them(deals: pd.DataFrame) -> None:
    # SOURCE.txt: 4,339 customers with non-cancelled purchases; one has only a zero-value invoice
    assert deals["account_id"].nunique() == 4338
    assert len(deals) == 18532
    assert (deals["amount"] > 0).all()


def test_dormant_accounts_buy_again_at_under_a_third_of_the_active_rate_and_at_risk_sits_between(
    deals: pd.DataFrame,
) -> None:
    rates, used = lifecycle_rates(
        deals, month_ends("2011-04-30", "2011-11-30"), next_days=30, dormancy=120, new_days=120, share=0.5
    )
    r = rates["rate"]
    assert len(used) == 7
    assert r["dormant"] < r["active"] / 3
    assert r["dormant"] < r["at_risk"] < r["active"]


def test_the_sbg_fitted_on_july_projects_the_autumn_within_a_few_points(deals: pd.DataFrame) -> None:
    purchases = purchases_from_deals(deals)
    early = customer_lifetimes(purchases, as_of=date(2011, 7, 31), dormancy_days=120)
    periods, lost = survival_periods(early, periods_per_year=12, dormancy_days=120)
    model = ShiftedBetaGeometric(periods_per_year=12).fit(periods, lost)
    later = customer_lifetimes(purchases, as_of=LAST_DAY.date(), dormancy_days=120).loc[early.index]
    km = kaplan_meier(later, timeline=np.arange(5, 9) * DAYS_PER_YEAR / 12)  # months 5-8: beyond the fit's 4
    observed = km["survival"].to_numpy(float)
    projected = model.survival(np.arange(5, 9))
    constant = geometric_survival(periods.astype(float), lost, np.arange(5, 9, dtype=float))
    assert int(periods.max()) == 4
    assert np.abs(projected - observed).max() < 0.05
    assert np.abs(constant - observed).mean() > 5 * np.abs(projected - observed).mean()
