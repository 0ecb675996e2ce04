"""Criteria: bands, the grid, near-boundary flags and the change matrix, with hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import (
    AxisRule,
    CriteriaSpec,
    band,
    classify,
    criteria_change_matrix,
    near_boundary,
    resolve_thresholds,
)

NAN = float("nan")


def test_terciles_of_one_to_nine_cut_at_three_and_two_thirds_and_six_and_a_third() -> None:
    values = np.arange(1.0, 10.0)
    t = resolve_thresholds(values, values / 10, CriteriaSpec())
    # numpy's linear quantile of 1..9 at 1/3: 1 + 8/3 = 3.667; at 2/3: 1 + 16/3 = 6.333
    assert t.price_low == pytest.approx(11 / 3)
    assert t.price_high == pytest.approx(19 / 3)
    assert t.probability_low == pytest.approx(11 / 30)


def test_quantiles_ignore_unpriced_accounts() -> None:
    values = np.array([NAN, 1.0, 2.0, 3.0, NAN])
    t = resolve_thresholds(values, values, CriteriaSpec(price=AxisRule("quantile", 0.5, 0.75)))
    assert t.price_low == pytest.approx(2.0)
    assert t.price_high == pytest.approx(2.5)


def test_a_value_on_the_high_threshold_is_high_and_on_the_low_threshold_is_mid() -> None:
    out = band(np.array([0.99, 1.0, 1.5, 2.0, NAN]), 1.0, 2.0)
    assert list(out) == ["low", "mid", "mid", "high", ""]


def test_the_default_grid_gives_a_to_high_high_high_mid_and_mid_high() -> None:
    # price 1..3 x probability 0.1..0.3, absolute cuts at 1.5 and 2.5 (price) / 0.15 and 0.25 (prob)
    price = np.repeat([3.0, 2.0, 1.0], 3)
    prob = np.tile([0.3, 0.2, 0.1], 3)
    spec = CriteriaSpec(price=AxisRule("absolute", 1.5, 2.5), probability=AxisRule("absolute", 0.15, 0.25), near_margin=0)
    c = classify(price, prob, spec)
    assert list(c.zone) == ["A", "A", "B", "A", "B", "C", "B", "C", "C"]
    assert not c.near_boundary.any()


def test_unpriced_or_unprobable_accounts_get_no_zone_and_no_flag() -> None:
    spec = CriteriaSpec(price=AxisRule("absolute", 1, 2), probability=AxisRule("absolute", 0.2, 0.5))
    c = classify(np.array([NAN, 5.0, 2.0]), np.array([0.9, NAN, 0.5]), spec)
    assert list(c.zone) == ["", "", "A"]
    assert list(c.near_boundary) == [False, False, True]


def test_near_boundary_uses_a_margin_relative_to_each_threshold() -> None:
    # thresholds 100 and 1000, margin 10%: 90..110 and 900..1100 are near
    flags = near_boundary(np.array([89.0, 90.0, 110.0, 111.0, 500.0, 1100.0, NAN]), 100.0, 1000.0, 0.1)
    assert list(flags) == [False, True, True, False, False, True, False]


def test_a_custom_grid_is_applied() -> None:
    grid = {b: dict.fromkeys(("high", "mid", "low"), "C") for b in ("high", "mid", "low")}
    grid["low"]["low"] = "A"
    spec = CriteriaSpec(price=AxisRule("absolute", 1, 2), probability=AxisRule("absolute", 0.2, 0.5), grid=grid)
    assert list(classify(np.array([0.5, 5.0]), np.array([0.1, 0.9]), spec).zone) == ["A", "C"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"price": AxisRule("quantile", 0.5, 0.4)}, "unit price: the low threshold"),
        ({"probability": AxisRule("absolute", 0.2, 1.5)}, "cannot exceed 1.0"),
        ({"price": AxisRule("quantile", 0.0, 0.5)}, "strictly between 0 and 1"),
        ({"grid": {"high": {"high": "A"}}}, "grid: cell price=high / probability=mid must be A, B or C"),
        ({"near_margin": 1.5}, "near-boundary margin"),
        ({"stage_probabilities": {"A": 120}}, "stage 'A'"),
    ],
)
def test_invalid_criteria_are_refused_with_a_message_naming_the_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        CriteriaSpec(**kwargs)  # type: ignore[arg-type]


def test_the_change_matrix_counts_accounts_each_change_moves() -> None:
    price = np.array([1.0, 2.0, 3.0, 3.0, NAN])
    prob = np.array([0.9, 0.9, 0.9, 0.1, 0.5])
    old = CriteriaSpec(price=AxisRule("absolute", 1.5, 2.5), probability=AxisRule("absolute", 0.3, 0.6))
    # old zones: low-high=B, mid-high=A, high-high=A, high-low=B, unpriced=""
    new = CriteriaSpec(price=AxisRule("absolute", 2.5, 2.8), probability=AxisRule("absolute", 0.3, 0.6))
    # new zones: low-high=B, low-high=B, high-high=A, high-low=B, ""
    m = criteria_change_matrix(price, prob, old, new)
    assert m.loc["A", "B"] == 1
    assert m.loc["A", "A"] == 1
    assert m.loc["B", "B"] == 2
    assert m.loc["", ""] == 1
    assert int(m.to_numpy().sum()) == 5
    assert list(m.index) == ["A", "B", "C", ""]
