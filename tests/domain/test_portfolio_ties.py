"""Quantile bands keep near their intended shares when many values tie, and say so per axis."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from kokyaku.domain.portfolio import CriteriaSpec, band, classify, compute_portfolio, resolve_thresholds

AS_OF = date(2026, 6, 30)


def one_quarter_purchase_log(customers: int = 30) -> pd.DataFrame:
    """Every customer's first purchase in 2026-Q1; 2/3 of them buy again in Q2 (the issue's example)."""
    rows = []
    for c in range(customers):
        rows.append((c, "won", 100.0 + 10 * c, "2026-01-15"))
        if c % 3:
            rows.append((c, "won", 100.0 + 10 * c, "2026-05-15"))
    frame = pd.DataFrame(rows, columns=["account_id", "status", "amount", "day"])
    frame["probability"] = np.nan
    frame["stage"] = "purchase"
    frame["opened_on"] = frame["closed_on"] = pd.to_datetime(frame.pop("day"))
    return frame


def test_tied_probabilities_no_longer_put_two_thirds_in_high_and_leave_zone_c_empty() -> None:
    deals = one_quarter_purchase_log()
    result = compute_portfolio(np.arange(30), deals, as_of=AS_OF, criteria=CriteriaSpec())
    prob = result.frame["win_probability"].to_numpy()
    assert len(np.unique(prob)) == 2  # every customer has n = 2 quarters: k is 1 or 2
    # What the threshold rule alone did (the report): 2/3 high, and no zone C.
    t = resolve_thresholds(result.frame["unit_price"].to_numpy(), prob, CriteriaSpec())
    old = band(prob, t.probability_low, t.probability_high)
    assert (old == "high").sum() == 20
    bands = result.frame["probability_band"]
    assert bands.value_counts().to_dict() == {"low": 10, "mid": 10, "high": 10}
    assert set(result.frame["zone"]) == {"A", "B", "C"}
    note = result.band_notes_dict()["probability"]
    assert note["code"] == "ties_broken"
    assert note["distinct"] == 2
    assert note["tied"] == 10  # ten of the twenty tied at the top were cut by unit price
    # Within a tie the other axis decides: among the 20 who bought twice the pricier half is high.
    twice = result.frame.loc[result.frame["account_id"] % 3 != 0]
    assert (
        twice.loc[twice["probability_band"] == "high", "unit_price"].min()
        > twice.loc[twice["probability_band"] == "mid", "unit_price"].max()
    )


def test_an_axis_whose_values_are_all_equal_puts_everyone_in_mid_and_says_so() -> None:
    price = np.arange(1.0, 10.0)
    prob = np.full(9, 0.78)
    cls = classify(price, prob, CriteriaSpec())
    assert set(cls.probability_band) == {"mid"}
    assert list(cls.zone) == ["C", "C", "C", "B", "B", "B", "A", "A", "A"]
    assert cls.notes_dict()["probability"]["code"] == "all_equal"
    assert cls.notes_dict()["price"]["code"] == "ok"


def test_without_ties_rank_cuts_equal_the_threshold_rule() -> None:
    rng = np.random.default_rng(4)
    price = rng.lognormal(10, 1, 1001)
    prob = rng.random(1001)
    price[::7] = np.nan
    cls = classify(price, prob, CriteriaSpec())
    t = cls.thresholds
    assert list(cls.price_band) == list(band(price, t.price_low, t.price_high))
    assert list(cls.probability_band) == list(band(prob, t.probability_low, t.probability_high))
    assert cls.notes_dict()["price"]["tied"] == 0


def test_an_axis_whose_values_are_all_equal_flags_nobody_near_its_boundary() -> None:
    """Old data (every account dormant, probability 0 for all): the cut-offs sat on the common value,
    so every account was "near a boundary" it could never cross (4,338 of 4,338 on the Online Retail data)."""
    price = np.arange(1.0, 10.0)
    prob = np.zeros(9)
    cls = classify(price, prob, CriteriaSpec())
    t = cls.thresholds
    assert cls.notes_dict()["probability"]["code"] == "all_equal"
    # Only the price axis can flag an account: exactly the ones within the margin of a price cut.
    margin = CriteriaSpec().near_margin
    expected = [any(abs(p - c) <= margin * abs(c) for c in (t.price_low, t.price_high)) for p in price]
    assert list(cls.near_boundary) == expected
    assert not all(cls.near_boundary)
