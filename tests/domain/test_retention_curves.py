"""The classic curve and the shifted-beta-geometric model: published figures, not our own output."""

from __future__ import annotations

import numpy as np
import pytest

from kokyaku.domain.errors import DomainError
from kokyaku.domain.retention import (
    CLASSIC_ALPHA,
    CLASSIC_BETA,
    ClassicRetention,
    ShiftedBetaGeometric,
    classic_survival,
    sbg_retention,
    sbg_survival,
)

# Fader & Hardie (2007), "How to project customer retention", Table 1: customers of a cohort of
# 1,000 still there after years 0..7; the paper fits the sBG to these seven years.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def cohort(survivors: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(periods survived, lost, customers): those who left in year t survived t - 1; the rest are censored at 7."""
    s = np.array(survivors)
    years = len(s) - 1
    periods = np.r_[np.arange(years), years]
    lost = np.r_[np.ones(years, dtype=bool), False]
    weight = np.r_[s[:-1] - s[1:], s[-1]]
    return periods, lost, weight


def test_the_classic_curve_keeps_50_then_27_5_then_16_5_of_100() -> None:
    assert classic_survival([0, 1, 2, 3]) * 100 == pytest.approx([100, 50, 27.5, 16.5])


def test_alpha_equal_beta_4_5_reproduces_the_classic_retention_rates() -> None:
    # r(t) = (β + t - 1) / (α + β + t - 1): 4.5 / 9, 5.5 / 10, 6.5 / 11
    assert sbg_retention(CLASSIC_ALPHA, CLASSIC_BETA, [1, 2, 3]) == pytest.approx([0.50, 0.55, 0.5909], abs=5e-5)
    assert sbg_survival(CLASSIC_ALPHA, CLASSIC_BETA, [1, 2, 3]) == pytest.approx([0.5, 0.275, 0.1625])


def test_the_retention_rate_rises_with_tenure() -> None:
    rates = sbg_retention(0.7, 1.2, np.arange(1, 20))
    assert np.all(np.diff(rates) > 0)
    assert classic_survival([3, 4])[1] / classic_survival([3, 4])[0] == pytest.approx(7.5 / 12)  # year 4 continues the sBG


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "log_likelihood"),
    [(REGULAR, 0.704, 1.182, -1680.3), (HIGH_END, 0.668, 3.806, -1611.2)],
)
def test_the_fit_reproduces_fader_and_hardies_estimates(
    survivors: list[int], alpha: float, beta: float, log_likelihood: float
) -> None:
    periods, lost, weight = cohort(survivors)
    model = ShiftedBetaGeometric().fit(periods, lost, sample_weight=weight)
    assert model.alpha_ == pytest.approx(alpha, abs=2e-3)
    assert model.beta_ == pytest.approx(beta, abs=2e-3)
    assert model.log_likelihood_ == pytest.approx(log_likelihood, abs=0.1)
    assert model.n_customers_ == 1000
    assert model.n_lost_ == 1000 - survivors[-1]
    assert not model.at_bound_
    assert np.all(np.linalg.eigvalsh(model.cov_) > 0)


def test_one_row_per_customer_gives_the_same_fit_as_counts() -> None:
    periods, lost, weight = cohort(REGULAR)
    model = ShiftedBetaGeometric().fit(np.repeat(periods, weight), np.repeat(lost, weight))
    assert model.alpha_ == pytest.approx(0.704, abs=2e-3)


def test_the_fit_recovers_the_parameters_of_simulated_customers() -> None:
    rng = np.random.default_rng(11)
    theta = rng.beta(2.0, 6.0, size=20_000)  # each customer's chance of leaving per period
    life = rng.geometric(theta)  # the period in which it leaves (1 = the first)
    seen = 6  # observed for six periods: those still there are censored
    lost = life <= seen
    periods = np.where(lost, life - 1, seen)
    model = ShiftedBetaGeometric().fit(periods, lost)
    assert model.alpha_ == pytest.approx(2.0, rel=0.15)
    assert model.beta_ == pytest.approx(6.0, rel=0.15)
    # the projection beyond the data matches the simulation's own survivors
    assert float(model.survival(10)) == pytest.approx(float(np.mean(life > 10)), abs=0.015)


def test_parameter_draws_scatter_around_the_estimate() -> None:
    periods, lost, weight = cohort(HIGH_END)
    model = ShiftedBetaGeometric().fit(periods, lost, sample_weight=weight)
    a, b = model.parameter_draws(4000, random_state=1)
    assert np.median(a) == pytest.approx(model.alpha_, rel=0.03)
    assert np.median(b) == pytest.approx(model.beta_, rel=0.03)
    assert np.std(np.log(a)) == pytest.approx(np.sqrt(model.cov_[0, 0]), rel=0.1)
    again, _ = model.parameter_draws(10, random_state=1)
    assert np.array_equal(again, model.parameter_draws(10, random_state=1)[0])


def test_the_classic_curve_is_a_curve_without_uncertainty() -> None:
    draws = ClassicRetention().survival_draws(np.array([0.0, 1.0, 2.0]), 3, random_state=None)
    assert draws.shape == (3, 3)
    assert draws[2] == pytest.approx([1.0, 0.5, 0.275])


def test_a_fit_without_a_loss_or_without_a_whole_period_is_refused() -> None:
    with pytest.raises(DomainError, match="no customer was lost"):
        ShiftedBetaGeometric().fit([1, 2, 3], [False, False, False])
    with pytest.raises(DomainError, match="no customer stayed a whole period"):
        ShiftedBetaGeometric().fit([0, 0], [True, False])
    with pytest.raises(DomainError, match="whole numbers"):
        ShiftedBetaGeometric().fit([0.5, 1], [True, False])
    with pytest.raises(DomainError, match="call fit"):
        ShiftedBetaGeometric().survival(1)
