"""Migration between snapshots, effort vs return, targets and the whole pipeline, by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kokyaku.domain.portfolio import (
    AxisRule,
    CriteriaSpec,
    accounts_to_close_gap,
    compute_portfolio,
    deal_probability,
    effort_vs_return,
    migration_matrix,
    move_direction,
    target_forecast,
    team_forecast,
)

NAN = float("nan")


def test_the_migration_matrix_counts_moves_and_lists_the_accounts_behind_each_cell() -> None:
    before = pd.Series({1: "A", 2: "A", 3: "B", 4: "C", 5: ""})
    after = pd.Series({1: "A", 2: "B", 3: "A", 4: "C", 6: "C"})
    m = migration_matrix(before, after)
    assert m.counts.loc["A", "A"] == 1
    assert m.counts.loc["A", "B"] == 1
    assert m.counts.loc["B", "A"] == 1
    assert m.counts.loc["", "C"] == 1  # account 6 is new in the second snapshot
    assert m.counts.loc["", ""] == 1  # account 5 was unzoned and has left
    assert m.accounts[("A", "B")] == [2]
    assert m.accounts[("", "C")] == [6]
    assert int(m.counts.to_numpy().sum()) == 6


def test_move_direction_reads_a_as_the_top() -> None:
    assert list(move_direction(["A", "C", "B", "", "A"], ["B", "A", "B", "C", ""])) == ["down", "up", "same", "in", "out"]


def test_effort_vs_return_gives_revenue_per_hour_per_zone() -> None:
    minutes = pd.DataFrame({"zone": ["A", "B", "C", "A"], "minutes": [60, 120, 600, 60]})
    revenue = pd.DataFrame({"zone": ["A", "C"], "revenue": [1_000_000.0, 50_000.0]})
    out = effort_vs_return(minutes, revenue).set_index("zone")
    assert list(out.index) == ["A", "B", "C"]
    assert out.loc["A", "hours"] == pytest.approx(2.0)
    assert out.loc["A", "revenue_per_hour"] == pytest.approx(500_000.0)
    assert out.loc["B", "revenue_per_hour"] == pytest.approx(0.0)
    assert out.loc["C", "revenue_per_hour"] == pytest.approx(5_000.0)
    assert out.loc["C", "effort_share"] == pytest.approx(600 / 840)
    assert out.loc["A", "revenue_share"] == pytest.approx(1_000_000 / 1_050_000)


def test_effort_vs_return_per_rep_and_zone_leaves_revenue_per_hour_empty_without_time() -> None:
    minutes = pd.DataFrame({"rep_id": [1], "zone": ["A"], "minutes": [30]})
    revenue = pd.DataFrame({"rep_id": [1, 2], "zone": ["A", "A"], "revenue": [100.0, 500.0]})
    out = effort_vs_return(minutes, revenue, by=("rep_id", "zone")).set_index("rep_id")
    assert out.loc[1, "revenue_per_hour"] == pytest.approx(200.0)
    assert bool(out.loc[[2], "revenue_per_hour"].isna().all())


def test_the_yomi_forecast_stacks_won_high_and_mid_probability_deals() -> None:
    targets = pd.DataFrame({"rep_id": [1, 2], "target": [1000.0, 500.0]})
    won = pd.DataFrame({"rep_id": [1, 1], "amount": [200.0, 100.0]})
    pipeline = pd.DataFrame(
        {"rep_id": [1, 1, 1, 2], "amount": [400.0, 200.0, 1000.0, 100.0], "probability": [0.9, 0.5, 0.1, NAN]}
    )
    out = target_forecast(targets, won, pipeline, high=0.7, mid=0.4).set_index("rep_id")
    assert out.loc[1, "won"] == 300
    assert out.loc[1, "weighted_pipeline"] == pytest.approx(360 + 100 + 100)
    assert out.loc[1, "yomi_high"] == 700
    assert out.loc[1, "yomi_mid"] == 900
    assert out.loc[1, "gap"] == 700
    assert out.loc[1, "gap_after_yomi"] == 100
    assert out.loc[1, "attainment"] == pytest.approx(0.3)
    assert out.loc[2, "weighted_pipeline"] == 0  # unknown probability counts at 0
    assert out.loc[2, "gap"] == 500


def test_the_team_gap_is_the_teams_own_not_the_sum_of_the_reps_shortfalls() -> None:
    # The reviewer's figures (in ¥M): target 183.6, won 133.4, ヨミ 222.5. One rep far ahead, two behind.
    targets = pd.DataFrame({"rep_id": [1, 2, 3], "target": [60.0, 60.0, 63.6]})
    won = pd.DataFrame({"rep_id": [1, 2, 3], "amount": [110.0, 10.0, 13.4]})
    pipeline = pd.DataFrame({"rep_id": [2, 3], "amount": [40.0, 49.1], "probability": [0.8, 0.5]})
    reps = target_forecast(targets, won, pipeline).set_index("rep_id")
    assert reps.loc[1, "gap"] == 0
    assert reps.loc[1, "surplus"] == pytest.approx(50.0)
    assert reps.loc[2, "surplus"] == 0
    assert reps.loc[2, "gap"] == pytest.approx(50.0)
    team = team_forecast(reps.reset_index())
    assert team["target"] == pytest.approx(183.6)
    assert team["won"] == pytest.approx(133.4)
    assert team["yomi_mid"] == pytest.approx(222.5)
    assert team["gap"] == pytest.approx(50.2)  # 183.6 − 133.4, not 50.0 + 50.2 = 100.2
    assert team["surplus"] == 0
    assert team["gap_after_yomi"] == 0  # the ヨミ is above the target: nothing is left after it
    assert team["surplus_after_yomi"] == pytest.approx(222.5 - 183.6)
    assert team["attainment"] == pytest.approx(133.4 / 183.6)
    assert team["reps_behind"] == 2
    assert team["reps_shortfall"] == pytest.approx(100.2)  # the reps' own shortfalls, labelled as such
    assert team["reps_behind_after_yomi"] == 2
    assert team["reps_shortfall_after_yomi"] == pytest.approx(10.0 + 1.1)
    ahead = team_forecast(target_forecast(targets, pd.DataFrame({"rep_id": [1], "amount": [200.0]}), pipeline))
    assert ahead["gap"] == 0
    assert ahead["surplus"] == pytest.approx(200.0 - 183.6)


def test_accounts_to_close_gap_stop_once_expected_value_covers_it() -> None:
    candidates = pd.DataFrame(
        {"rep_id": [1, 1, 1, 1, 2], "account_id": [10, 11, 12, 13, 20], "expected_value": [50.0, 300.0, 100.0, NAN, 10.0]}
    )
    out = accounts_to_close_gap(candidates, pd.Series({1: 350.0, 2: 0.0}))
    assert list(out["account_id"]) == [11, 12]
    assert list(out["covers_gap"]) == [False, True]


def test_the_pipeline_scores_a_small_portfolio_end_to_end() -> None:
    rows: list[tuple[int, str, float, float, str, str, str | None]] = []
    for account in range(1, 10):
        rows.append((account, "open", account * 100.0, account * 10.0, "", "2026-05-01", None))
    rows.append((10, "lost", 50.0, NAN, "", "2026-01-01", "2026-01-10"))  # no price: unzoned
    d = pd.DataFrame(rows, columns=["account_id", "status", "amount", "probability", "stage", "opened_on", "closed_on"])
    d["opened_on"] = pd.to_datetime(d["opened_on"])
    d["closed_on"] = pd.to_datetime(d["closed_on"])
    spec = CriteriaSpec(price=AxisRule("quantile", 1 / 3, 2 / 3), near_margin=0.0)
    res = compute_portfolio(np.arange(1, 12), d, as_of=date(2026, 6, 30), criteria=spec)
    f = res.frame.set_index("account_id")
    # price cuts (9 priced accounts): 366.7 / 633.3, so 1-3 low, 4-6 mid, 7-9 high.
    # probability cuts over 10 values (account 10's smoothed history is 0.0, the team never bought
    # again): 0.3 / 0.6, so 0.1-0.2 low, 0.3-0.5 mid, 0.6-0.9 high. Account 3 is low-mid (C),
    # account 6 mid-high (A).
    assert list(f.loc[1:9, "zone"]) == ["C", "C", "C", "B", "B", "A", "A", "A", "A"]
    assert f.loc[9, "expected_value"] == pytest.approx(900 * 0.9)
    assert f.loc[10, "zone"] == ""
    assert f.loc[10, "probability_source"] == "history"
    assert bool(f.loc[[10], "unit_price"].isna().all())
    assert f.loc[11, "probability_source"] == "none"
    assert f.loc[11, "lifecycle"] == "prospect"
    assert res.thresholds.price_low == pytest.approx(100 + 800 / 3)


def test_the_pipeline_scores_two_hundred_thousand_accounts_in_one_call() -> None:
    rng = np.random.default_rng(1)
    n_acc, n_deals = 200_000, 600_000  # scaled down for the suite; the benchmark runs 1M / 3M
    opened = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n_deals), unit="D")
    status = rng.choice(np.array(["open", "won", "lost"], dtype=object), n_deals, p=[0.3, 0.4, 0.3])
    closed = opened + pd.to_timedelta(rng.integers(1, 90, n_deals), unit="D")
    d = pd.DataFrame(
        {
            "account_id": rng.integers(1, n_acc + 1, n_deals),
            "status": status,
            "amount": rng.lognormal(13, 1, n_deals),
            "probability": np.where(rng.random(n_deals) < 0.5, rng.integers(0, 101, n_deals), np.nan),
            "stage": rng.choice(np.array(["A", "B", "C", "D", "x"], dtype=object), n_deals),
            "opened_on": opened,
            "closed_on": pd.Series(closed).where(status != "open"),
        }
    )
    res = compute_portfolio(np.arange(1, n_acc + 1), d, as_of=date(2026, 6, 30), criteria=CriteriaSpec())
    zones = res.frame["zone"].value_counts()
    assert set(zones.index) <= {"A", "B", "C", ""}
    assert len(res.frame) == n_acc


def test_a_deals_probability_is_the_reps_else_its_stages_else_unknown() -> None:
    probability = pd.Series([80.0, NAN, NAN, NAN, 120.0])
    stage = pd.Series(["Lead", "Negotiation", "B", "Mystery", ""])
    out = deal_probability(probability, stage, {"Lead": 10, "Negotiation": 80, "B": 60})
    assert out.iloc[:3].tolist() == pytest.approx([0.8, 0.8, 0.6])
    assert np.isnan(out.iloc[3])
    assert out.iloc[4] == 1.0  # clipped
