"""Unit price, win probability and its source, smoothing and lifecycle, computed by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import (
    RepurchaseRate,
    deals_as_of,
    lifecycle,
    purchase_periods,
    purchase_rhythm,
    unit_price,
    win_probability,
)

AS_OF = date(2026, 6, 30)
NAN = float("nan")


def deals(*rows: tuple[int, str, float, float, str, str, str | None]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "status", "amount", "probability", "stage", "opened_on", "closed_on"])
    frame["opened_on"] = pd.to_datetime(frame["opened_on"])
    frame["closed_on"] = pd.to_datetime(frame["closed_on"])
    return frame


def test_unit_price_is_the_median_of_won_and_open_deals_in_the_last_24_months() -> None:
    d = deals(
        (1, "won", 100, NAN, "", "2025-01-01", "2025-02-01"),
        (1, "won", 300, NAN, "", "2025-03-01", "2025-04-01"),
        (1, "open", 200, NAN, "", "2026-05-01", None),
        (1, "lost", 9999, NAN, "", "2026-01-01", "2026-02-01"),  # lost deals do not price
        (1, "won", 5000, NAN, "", "2023-01-01", "2024-06-30"),  # closed exactly 24 months ago: outside
        (2, "open", NAN, NAN, "", "2026-05-01", None),  # no amount
    )
    price = unit_price([1, 2, 3], deals_as_of(d, AS_OF), as_of=AS_OF)
    assert price[0] == pytest.approx(200.0)
    assert np.isnan(price[1])
    assert np.isnan(price[2])


def test_as_of_drops_later_deals_and_reopens_deals_closed_after_it() -> None:
    d = deals(
        (1, "won", 100, NAN, "", "2026-06-01", "2026-07-15"),  # still open on June 30
        (1, "won", 999, NAN, "", "2026-07-02", "2026-07-20"),  # did not exist yet
    )
    seen = deals_as_of(d, AS_OF)
    assert list(seen["status"]) == ["open"]
    assert seen["closed_on"].isna().all()


def test_probability_sources_are_taken_in_order_model_rep_stage_history_none() -> None:
    d = deals(
        (1, "open", 100, 80, "B", "2026-06-01", None),  # model wins over rep
        (2, "open", 100, 80, "B", "2026-06-01", None),  # rep
        (3, "open", 100, NAN, "B", "2026-06-01", None),  # stage B = 60%
        (4, "won", 100, NAN, "", "2025-01-01", "2025-01-10"),  # history only
        (5, "open", 100, NAN, "negotiation", "2026-06-01", None),  # stage not in table, no history
    )
    model = np.array([0.33, NAN, NAN, NAN, NAN, NAN])
    prob, source = win_probability(
        [1, 2, 3, 4, 5, 6], deals_as_of(d, AS_OF), as_of=AS_OF, stage_probabilities={"A": 90, "B": 60}, model_probability=model
    )
    assert list(source) == ["model", "rep", "stage", "history", "none", "none"]
    assert prob[:3] == pytest.approx([0.33, 0.80, 0.60])
    assert 0 < prob[3] < 1
    assert np.isnan(prob[4:]).all()


def test_rep_probability_is_weighted_by_deal_amount() -> None:
    d = deals(
        (1, "open", 300, 90, "", "2026-06-01", None),
        (1, "open", 100, 10, "", "2026-06-01", None),
        (2, "open", NAN, 50, "", "2026-06-01", None),  # no amounts: plain mean
        (2, "open", NAN, 70, "", "2026-06-01", None),
    )
    prob, _ = win_probability([1, 2], deals_as_of(d, AS_OF), as_of=AS_OF, stage_probabilities={})
    assert prob == pytest.approx([(300 * 0.9 + 100 * 0.1) / 400, 0.6])


def test_purchase_periods_count_quarters_since_the_first_deal() -> None:
    d = deals(
        (1, "won", 1, NAN, "", "2025-06-01", "2026-06-01"),  # period 0 (29 days back)
        (1, "won", 1, NAN, "", "2026-05-01", "2026-05-15"),  # period 0 again
        (1, "won", 1, NAN, "", "2025-06-01", "2025-12-01"),  # 211 days back: period 2
        (2, "lost", 1, NAN, "", "2026-06-01", "2026-06-10"),  # first deal 29 days ago: one period, no win
    )
    k, n = purchase_periods([1, 2, 3], d, as_of=AS_OF, period_days=91, periods=8)
    # account 1's first deal is 394 days back: 394 // 91 + 1 = 5 periods observed
    assert list(k) == [2, 0, 0]
    assert list(n) == [5, 1, 0]


def test_repurchase_rate_shrinks_toward_the_team_average() -> None:
    model = RepurchaseRate(prior_strength=4.0).fit([1, 3], [4, 4])
    assert model.prior_mean_ == pytest.approx(0.5)
    assert model.alpha_ == pytest.approx(2.0)
    assert model.beta_ == pytest.approx(2.0)
    # (1 + 2) / (4 + 4) and (3 + 2) / (4 + 4)
    assert model.predict([1, 3, 0], [4, 4, 0]) == pytest.approx([0.375, 0.625, 0.5])


def test_repurchase_rate_estimates_its_strength_by_the_method_of_moments() -> None:
    rng = np.random.default_rng(7)
    true_p = rng.beta(2.0, 6.0, size=4000)  # mean 0.25, strength 8
    n = np.full(4000, 12)
    k = rng.binomial(n, true_p)
    model = RepurchaseRate().fit(k, n)
    assert model.prior_mean_ == pytest.approx(0.25, abs=0.01)
    assert model.prior_strength_ == pytest.approx(8.0, rel=0.2)


def test_repurchase_rate_refuses_impossible_counts() -> None:
    with pytest.raises(DomainError, match="0 <= k <= n"):
        RepurchaseRate().fit([5], [4])


def test_lifecycle_is_prospect_new_active_or_dormant() -> None:
    d = deals(
        (1, "lost", 1, NAN, "", "2026-01-01", "2026-01-05"),  # never won: prospect
        (2, "won", 1, NAN, "", "2026-01-01", "2026-02-01"),  # first win 5 months ago: new
        (3, "won", 1, NAN, "", "2024-01-01", "2024-02-01"),
        (3, "won", 1, NAN, "", "2026-01-01", "2026-03-01"),  # active
        (4, "won", 1, NAN, "", "2024-01-01", "2025-01-01"),  # last win 545 days ago, nothing open: dormant
        (5, "won", 1, NAN, "", "2024-01-01", "2025-01-01"),
        (5, "open", 1, NAN, "", "2026-06-01", None),  # old win but something open: active
    )
    out = lifecycle([1, 2, 3, 4, 5, 6], deals_as_of(d, AS_OF), as_of=AS_OF, dormancy_days=365)
    assert list(out) == ["prospect", "new", "active", "dormant", "active", "prospect"]


def won_on(account: int, *days: str) -> list[tuple[int, str, float, float, str, str, str | None]]:
    return [(account, "won", 1, NAN, "", day, day) for day in days]


def test_purchase_rhythm_takes_first_last_and_the_median_gap_between_purchase_days() -> None:
    d = deals(
        *won_on(1, "2026-01-01", "2026-01-11", "2026-01-11", "2026-02-10", "2026-02-20"),  # gaps 10, 30, 10 (same day once)
        *won_on(2, "2026-03-01", "2026-03-31"),  # one gap of 30
        *won_on(3, "2026-05-05"),  # one purchase: no gap
        (4, "open", 1, NAN, "", "2026-01-01", None),
        *won_on(99, "2026-01-01", "2026-01-03"),  # not asked for
    )
    r = purchase_rhythm([4, 3, 2, 1], deals_as_of(d, AS_OF))
    assert r.median_gap[1:].tolist() == [pytest.approx(NAN, nan_ok=True), 30.0, 10.0]
    assert np.isnan(r.median_gap[0])
    assert r.intervals.tolist() == [0, 0, 1, 3]
    first = pd.to_datetime(r.first[2:], unit="D")
    last = pd.to_datetime(r.last[2:], unit="D")
    assert [str(x.date()) for x in first] == ["2026-03-01", "2026-01-01"]
    assert [str(x.date()) for x in last] == ["2026-03-31", "2026-02-20"]
    assert np.isnan(r.first[:1]).all()


def test_an_even_number_of_gaps_takes_the_mean_of_the_middle_two() -> None:
    d = deals(*won_on(1, "2026-01-01", "2026-01-03", "2026-01-13", "2026-02-12", "2026-05-13"))  # gaps 2, 10, 30, 90
    assert purchase_rhythm([1], d).median_gap.tolist() == [20.0]


def test_an_account_well_past_twice_its_usual_gap_is_at_risk() -> None:
    d = deals(
        *won_on(1, "2026-03-01", "2026-03-31", "2026-04-30"),  # usual gap 30 days, last 61 days ago: 61 > 60
        *won_on(2, "2026-03-02", "2026-04-01", "2026-05-01"),  # last 60 days ago: not past twice the gap
        *won_on(3, "2026-03-31", "2026-04-30"),  # only one gap: no rhythm to judge by
        *won_on(4, "2026-02-01", "2026-03-01", "2026-03-31"),
        (4, "open", 1, NAN, "", "2026-06-01", None),  # past its rhythm, but a deal is open: being worked
        *won_on(5, "2025-06-01", "2025-07-01", "2025-08-01", "2026-01-01"),  # not new (394 days), usual gap 31, last 180 days ago
    )
    out = lifecycle([1, 2, 3, 4, 5], deals_as_of(d, AS_OF), as_of=AS_OF, dormancy_days=365, at_risk_share=0)
    assert list(out) == ["at_risk", "new", "new", "new", "at_risk"]


def test_at_risk_also_waits_for_a_share_of_the_dormancy_period() -> None:
    d = deals(
        *won_on(1, "2026-03-01", "2026-03-31", "2026-04-30"),  # usual gap 30, quiet 61 days
        *won_on(2, "2025-09-01", "2025-10-01", "2025-10-31", "2025-11-30"),  # usual gap 30, quiet 212 days
    )
    seen = deals_as_of(d, AS_OF)
    # half of 365 is 182.5 days: only the second has been quiet that long
    assert list(lifecycle([1, 2], seen, as_of=AS_OF, dormancy_days=365)) == ["new", "at_risk"]
    assert list(lifecycle([1, 2], seen, as_of=AS_OF, dormancy_days=365, at_risk_share=0.1)) == ["at_risk", "at_risk"]
    with pytest.raises(DomainError, match="share of the dormancy period"):
        lifecycle([1], seen, as_of=AS_OF, at_risk_share=1.5)


def test_dormant_outranks_at_risk_and_the_at_risk_rule_can_be_turned_off() -> None:
    d = deals(*won_on(1, "2025-01-01", "2025-01-11", "2025-01-21"), *won_on(2, "2025-12-01", "2025-12-08", "2025-12-15"))
    seen = deals_as_of(d, AS_OF)  # account 2: usual gap 7 days, quiet 197 days (past half of 365)
    assert list(lifecycle([1, 2], seen, as_of=AS_OF, dormancy_days=365)) == ["dormant", "at_risk"]
    assert list(lifecycle([1, 2], seen, as_of=AS_OF, dormancy_days=365, at_risk_factor=None)) == ["dormant", "new"]
    assert list(lifecycle([1, 2], seen, as_of=AS_OF, dormancy_days=365, at_risk_factor=30)) == ["dormant", "new"]


def test_p_alive_decides_at_risk_where_given_and_the_gap_rule_elsewhere() -> None:
    d = deals(
        *won_on(1, "2026-06-01"),  # one purchase, the model says it is probably gone
        *won_on(2, "2025-12-01", "2025-12-08", "2025-12-15"),  # past its rhythm, but the model says alive
        *won_on(3, "2025-12-01", "2025-12-08", "2025-12-15"),  # no prediction: the gap rule
        *won_on(4, "2026-06-01"),
        (4, "open", 1, NAN, "", "2026-06-10", None),  # the model's doubt does not matter while a deal is open
    )
    p_alive = np.array([0.2, 0.9, NAN, 0.1])
    out = lifecycle([1, 2, 3, 4], deals_as_of(d, AS_OF), as_of=AS_OF, p_alive=p_alive, p_alive_threshold=0.5)
    assert list(out) == ["at_risk", "new", "at_risk", "new"]
    with pytest.raises(DomainError, match="one value per account"):
        lifecycle([1, 2], deals_as_of(d, AS_OF), as_of=AS_OF, p_alive=[0.5])


def test_churned_comes_only_from_the_record_and_a_later_purchase_ends_it() -> None:
    d = deals(
        *won_on(1, "2026-05-01"),  # said it is leaving on June 1: churned, though it bought recently
        *won_on(2, "2026-05-01", "2026-06-15"),  # left on June 1, bought again on June 15: back
        *won_on(3, "2024-01-01"),  # dormant, but no record: never inferred as churned
        *won_on(4, "2026-05-01"),  # leaves on July 10: after the as-of date
        *won_on(5, "2026-01-01"),  # two records: the latest before the as-of date counts
    )
    churned = pd.DataFrame(
        {
            "account_id": [1, 2, 4, 5, 5, 77],
            "churned_on": pd.to_datetime(["2026-06-01", "2026-06-01", "2026-07-10", "2025-12-01", "2026-03-01", "2026-01-01"]),
            "reason": ["moved to a competitor", "closed a branch", "", "", "", "unknown account"],
        }
    )
    out = lifecycle([1, 2, 3, 4, 5], deals_as_of(d, AS_OF), as_of=AS_OF, churned=churned)
    assert list(out) == ["churned", "new", "dormant", "new", "churned"]


def test_a_churn_record_without_its_date_is_refused() -> None:
    d = deals(*won_on(1, "2026-05-01"))
    with pytest.raises(DomainError, match="needs its date"):
        lifecycle([1], d, as_of=AS_OF, churned=pd.DataFrame({"account_id": [1], "churned_on": [pd.NaT]}))
    with pytest.raises(DomainError, match="missing column"):
        lifecycle([1], d, as_of=AS_OF, churned=pd.DataFrame({"account_id": [1]}))


def test_the_dormancy_period_is_a_parameter() -> None:
    d = deals((1, "won", 1, NAN, "", "2025-01-01", "2026-03-01"))  # last win 121 days ago
    assert list(lifecycle([1], d, as_of=AS_OF, dormancy_days=90)) == ["dormant"]
    assert list(lifecycle([1], d, as_of=AS_OF, dormancy_days=365)) == ["new"]


def test_a_deals_frame_missing_columns_is_refused() -> None:
    with pytest.raises(DomainError, match="missing column"):
        deals_as_of(pd.DataFrame({"account_id": [1]}), AS_OF)


def test_the_snapshot_pipeline_leaves_at_risk_off_until_asked() -> None:
    from kokyaku.domain.portfolio import CriteriaSpec, compute_portfolio

    d = deals(*won_on(1, "2025-12-01", "2025-12-08", "2025-12-15"))  # usual gap 7 days, quiet 197 days
    off = compute_portfolio([1], d, as_of=AS_OF, criteria=CriteriaSpec())
    on = compute_portfolio([1], d, as_of=AS_OF, criteria=CriteriaSpec(), at_risk_factor=2.0)
    assert off.frame["lifecycle"].tolist() == ["new"]
    assert on.frame["lifecycle"].tolist() == ["at_risk"]


def test_a_dormant_former_customer_is_priced_from_its_whole_history_and_placed() -> None:
    from kokyaku.domain.portfolio import CriteriaSpec, compute_portfolio

    d = deals(
        (1, "won", 400, NAN, "", "2023-01-01", "2023-03-01"),  # last purchase 40 months ago: before the look-back
        (1, "won", 600, NAN, "", "2022-01-01", "2022-02-01"),
        (1, "lost", 9999, NAN, "", "2022-05-01", "2022-06-01"),  # a lost deal never prices
        (2, "won", 100, NAN, "", "2026-01-01", "2026-02-01"),  # a customer priced in the look-back as before
        (3, "won", 300, NAN, "", "2025-10-01", "2025-11-01"),
        (4, "lost", 800, NAN, "", "2022-01-01", "2022-02-01"),  # never bought: stays unpriced
    )
    result = compute_portfolio([1, 2, 3, 4], d, as_of=AS_OF, criteria=CriteriaSpec()).frame.set_index("account_id")
    assert result.loc[1, "lifecycle"] == "dormant"
    assert result.loc[1, "unit_price"] == pytest.approx(500.0)  # median of its won deals, whole history
    assert result.loc[1, "zone"] != ""  # placed (it has a probability from its purchase history)
    assert result.loc[2, "unit_price"] == pytest.approx(100.0)
    assert np.isnan(result["unit_price"].to_numpy(dtype=float)[list(result.index).index(4)])
    assert result.loc[4, "zone"] == ""
    # with the look-back alone it had no unit price
    assert np.isnan(unit_price([1], deals_as_of(d, AS_OF), as_of=AS_OF)[0])
