"""The optimiser on hand-made cases: who moves, why, loads, fit and baselines, computed by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kokyaku.domain.assignment import MOVE_REASONS, AssignmentPolicy, plan_assignment
from tests.domain.assignment_frames import acc, frames, owners, rep


def test_visionaries_go_to_the_developing_rep_and_pragmatists_to_the_strong_one() -> None:
    reps = [rep("S", "strong", 2), rep("D", "developing", 2)]
    accounts = [
        acc("a", "S", "visionary"),
        acc("b", "D", "pragmatist"),
        acc("c", "S", "conservative"),
        acc("d", "D", "skeptic"),
    ]
    plan = plan_assignment(*frames(accounts, reps))
    assert plan.status == "optimal"
    assert owners(plan) == {"a": "D", "b": "S", "c": "S", "d": "D"}
    moves = plan.moves.set_index("account_id")
    assert moves.loc["a", "owner_before"] == "S"
    assert moves.loc["a", "reason"] == "visionary"
    assert moves.loc["b", "reason"] == "pragmatist"
    assert plan.move_count == 2
    assert plan.policy_fit == 1.0
    assert plan.policy_fit_before == 0.5
    # Round-robin deals a, b, c, d to S, D, S, D: today's owners again; equal split is already equal.
    assert plan.summary()["baselines"] == {
        "round_robin": {"policy_fit": 0.5, "moves": 0},
        "equal_split": {"policy_fit": 0.5, "moves": 0},
    }
    assert plan.baselines["round_robin"].unplaced == 0


def test_the_heavier_tier_wins_when_terms_disagree() -> None:
    reps = [rep("S", "strong", 5), rep("D", "developing", 5)]
    accounts = [
        acc("prag-prospect", "D", "pragmatist", lifecycle="prospect"),  # 3 strong > 2 developing
        acc("released-prag", "S", "pragmatist", released=True),  # 6 developing > 3 strong
        acc("zone-a", "D", zone="A"),  # 2 strong
        acc("skeptic-a", "S", "skeptic", zone="A"),  # 3 developing > 2 strong
        acc("neutral", "D", zone="B"),  # nothing applies: stays
    ]
    plan = plan_assignment(*frames(accounts, reps))
    assert owners(plan) == {"prag-prospect": "S", "released-prag": "D", "zone-a": "S", "skeptic-a": "D", "neutral": "D"}
    rows = plan.accounts.set_index("account_id")
    assert rows["reason"].to_dict() == {
        "prag-prospect": "pragmatist",
        "released-prag": "released",
        "zone-a": "zone_a",
        "skeptic-a": "skeptic",
        "neutral": "",
    }
    assert rows.loc["neutral", "wanted_tier"] == ""
    assert not rows.loc["neutral", "counted"]
    assert plan.counted_accounts == 4


def test_continuity_keeps_an_account_when_the_policy_gains_less() -> None:
    reps = [rep("S", "strong", 2), rep("D", "developing", 2)]
    accounts = [acc("a", "S", "visionary")]
    stays = plan_assignment(*frames(accounts, reps), policy=AssignmentPolicy(weights={"visionary": 0.4}, continuity=0.5))
    moves = plan_assignment(*frames(accounts, reps), policy=AssignmentPolicy(weights={"visionary": 0.6}, continuity=0.5))
    assert owners(stays) == {"a": "S"}
    assert owners(moves) == {"a": "D"}


def test_a_full_strong_rep_keeps_its_own_and_nobody_is_reshuffled() -> None:
    reps = [rep("S", "strong", 1), rep("D", "developing", 3)]
    accounts = [acc("j", "S", "pragmatist"), acc("k", "D", "pragmatist")]
    plan = plan_assignment(*frames(accounts, reps))
    assert owners(plan) == {"j": "S", "k": "D"}
    assert plan.move_count == 0
    assert plan.policy_fit == 0.5


def test_an_owner_over_capacity_sheds_its_lowest_value_account() -> None:
    reps = [rep("S", "strong", 1), rep("D", "developing", 2)]
    accounts = [acc("l", "S", value=10.0), acc("m", "S", value=5.0)]
    plan = plan_assignment(*frames(accounts, reps))
    assert owners(plan) == {"l": "S", "m": "D"}
    assert plan.moves.set_index("account_id").loc["m", "reason"] == "over_capacity"


def test_an_account_without_preference_makes_room_for_one_the_policy_wants() -> None:
    reps = [rep("S", "strong", 1), rep("D", "developing", 1)]
    accounts = [acc("n", "S"), acc("o", "D", "pragmatist")]
    plan = plan_assignment(*frames(accounts, reps))
    assert owners(plan) == {"n": "D", "o": "S"}
    assert plan.moves.set_index("account_id")["reason"].to_dict() == {"n": "rebalance", "o": "pragmatist"}


def test_inactive_reps_get_nothing_and_unowned_accounts_get_an_owner() -> None:
    reps = [rep("S", "strong", 3), rep("X", "strong", 3, active=False), rep("D", "developing", 3)]
    accounts = [acc("p", "X", "pragmatist"), acc("q", None, "visionary"), acc("z", "X")]
    plan = plan_assignment(*frames(accounts, reps))
    assert owners(plan) == {"p": "S", "q": "D", "z": "S"} or owners(plan) == {"p": "S", "q": "D", "z": "D"}
    reasons = plan.moves.set_index("account_id")["reason"].to_dict()
    assert reasons == {"p": "inactive_owner", "q": "unowned", "z": "inactive_owner"}
    assert plan.reps.set_index("rep_id").loc["X", "accounts_after"] == 0


def test_a_pinned_account_never_moves_and_counts_against_capacity() -> None:
    reps = [rep("S", "strong", 2), rep("D", "developing", 1)]
    accounts = [acc("r", "S", "visionary", pinned=True), acc("s", "D", "visionary"), acc("t", "D", "pragmatist")]
    plan = plan_assignment(*frames(accounts, reps))
    assert owners(plan) == {"r": "S", "s": "D", "t": "S"}
    rows = plan.accounts.set_index("account_id")
    assert rows.loc["r", "counted"]
    assert not rows.loc["r", "fit"]
    assert plan.policy_fit == pytest.approx(2 / 3)


def test_dormant_accounts_no_strong_rep_covers_stay_and_go_to_the_follow_up_queue() -> None:
    reps = [rep("S", "strong", 5), rep("D", "developing", 5)]
    accounts = [
        acc("dormant-dev", "D", lifecycle="dormant"),
        acc("dormant-prag", "D", "pragmatist", lifecycle="dormant"),
        acc("dormant-strong", "S", lifecycle="dormant"),
    ]
    plan = plan_assignment(*frames(accounts, reps))
    rows = plan.accounts.set_index("account_id")
    assert owners(plan) == {"dormant-dev": "D", "dormant-prag": "D", "dormant-strong": "S"}
    assert rows["follow_up"].to_dict() == {"dormant-dev": True, "dormant-prag": True, "dormant-strong": False}
    assert not rows.loc["dormant-prag", "counted"]  # in the queue, where the policy wants it
    off = plan_assignment(*frames(accounts, reps), policy=AssignmentPolicy(dormant_follow_up=False))
    assert owners(off)["dormant-prag"] == "S"
    assert not off.accounts["follow_up"].any()


def test_dormant_accounts_of_an_inactive_rep_are_placed_and_stay_in_the_queue() -> None:
    reps = [rep("X", "developing", 5, active=False), rep("D", "developing", 5)]
    plan = plan_assignment(*frames([acc("a", "X", lifecycle="dormant")], reps))
    assert owners(plan) == {"a": "D"}
    assert plan.accounts["follow_up"].tolist() == [True]


def test_a_dormant_account_its_strong_rep_released_goes_to_a_developing_rep_and_the_queue() -> None:
    reps = [rep("S", "strong", 5), rep("D", "developing", 5)]
    accounts = [acc("released", "S", "pragmatist", lifecycle="dormant", released=True), acc("kept", "S", lifecycle="dormant")]
    plan = plan_assignment(*frames(accounts, reps))
    rows = plan.accounts.set_index("account_id")
    assert owners(plan) == {"released": "D", "kept": "S"}  # released (6) beats pragmatist (3); the other is held
    assert rows.loc["released", "reason"] == "released"
    assert rows["follow_up"].to_dict() == {"released": True, "kept": False}


def test_accounts_stay_in_their_team_unless_the_policy_lets_them_cross() -> None:
    reps = [rep("S1", "strong", 3, team="T1"), rep("D1", "developing", 3, team="T1"), rep("S2", "strong", 3, team="T2")]
    accounts = [acc("v", "S2", "visionary")]
    assert owners(plan_assignment(*frames(accounts, reps))) == {"v": "S2"}
    crossing = plan_assignment(*frames(accounts, reps), policy=AssignmentPolicy(keep_team=False))
    assert owners(crossing) == {"v": "D1"}


def test_an_account_outside_its_owners_team_moves_into_its_own_team() -> None:
    reps = [rep("S1", "strong", 3, team="T1"), rep("S2", "strong", 3, team="T2")]
    plan = plan_assignment(*frames([acc("w", "S1", team="T2")], reps))
    assert owners(plan) == {"w": "S2"}
    assert plan.moves["reason"].tolist() == ["out_of_scope"]


def test_the_region_rule_sends_an_account_to_a_rep_covering_its_region() -> None:
    reps = [rep("R1", "strong", 3, region="Kanto"), rep("R2", "strong", 3), rep("D1", "developing", 3, region="Kansai")]
    accounts = [acc("w", "D1", "pragmatist", region="Kansai")]
    plan = plan_assignment(*frames(accounts, reps), policy=AssignmentPolicy(keep_region=True))
    assert owners(plan) == {"w": "R2"}  # R1 covers Kanto only; R2 has no region, so covers all


def test_loads_and_values_per_rep_before_and_after() -> None:
    reps = [rep("S", "strong", 2), rep("D", "developing", 2)]
    accounts = [acc("a", "S", "visionary", value=100.0), acc("b", "D", "pragmatist", value=30.0), acc("c", "D", value=7.0)]
    plan = plan_assignment(*frames(accounts, reps))
    table = plan.reps.set_index("rep_id")
    assert list(table.loc["S", ["accounts_before", "accounts_after", "moved_in", "moved_out"]]) == [1, 1, 1, 1]
    assert list(table.loc["S", ["value_before", "value_after"]]) == [100.0, 30.0]
    assert list(table.loc["D", ["accounts_before", "accounts_after"]]) == [2, 2]
    assert list(table.loc["D", ["value_before", "value_after"]]) == [37.0, 107.0]
    assert table.loc["D", "fit_after"] == 1


def test_a_value_capacity_keeps_the_strong_rep_within_its_expected_value() -> None:
    reps = [rep("S", "strong", 3, value_capacity=100.0), rep("D", "developing", 5)]
    accounts = [
        acc("y1", "D", "pragmatist", value=70.0),
        acc("y2", "D", "pragmatist", value=50.0),
        acc("y3", "D", "pragmatist", value=40.0),
    ]
    plan = plan_assignment(*frames(accounts, reps))
    # All three would fit S by count (160 of value); by value only {50, 40} = 90 <= 100 takes two.
    assert plan.status == "optimal"
    assert plan.method == "cp_sat"
    assert owners(plan) == {"y1": "D", "y2": "S", "y3": "S"}
    assert plan.reps.set_index("rep_id").loc["S", "value_after"] == 90.0


def test_a_loose_value_capacity_is_met_by_the_count_optimum_without_cp_sat() -> None:
    reps = [rep("S1", "strong", 3, value_capacity=100.0), rep("S2", "strong", 3, value_capacity=100.0), rep("D", "developing", 5)]
    accounts = [
        acc("x", "S1", "pragmatist", value=90.0),
        acc("y", "D", "pragmatist", value=20.0),
        acc("z", "D", "pragmatist", value=20.0),
    ]
    plan = plan_assignment(*frames(accounts, reps))
    assert plan.method == "min_cost_flow"
    assert plan.status == "optimal"
    # Dealt by room: S1 has 10 left, S2 100, so both incoming accounts go to S2.
    assert owners(plan) == {"x": "S1", "y": "S2", "z": "S2"}


def test_every_reason_is_a_known_code_and_the_summary_is_plain_json() -> None:
    reps = [rep("S", "strong", 2), rep("D", "developing", 2, value_capacity=1e9)]
    accounts = [acc("a", "S", "visionary", value=np.float64(3.5)), acc("b", None, "pragmatist")]
    plan = plan_assignment(*frames(accounts, reps))
    assert set(plan.moves["reason"]) <= set(MOVE_REASONS)
    text = json.dumps(plan.summary())
    assert json.loads(text)["status"] == "optimal"
    assert set(json.loads(text)) == {"status", "reason", "seconds", "moves", "policy_fit", "baselines"}


def test_the_same_input_gives_the_same_plan() -> None:
    reps = [rep(f"S{i}", "strong", 4) for i in range(3)] + [rep(f"D{i}", "developing", 4) for i in range(3)]
    types = ["visionary", "pragmatist", "conservative", "skeptic", "unknown"]
    accounts = [acc(f"a{i}", f"{'SD'[i % 2]}{i % 3}", types[i % 5], value=float(i)) for i in range(20)]
    first = plan_assignment(*frames(accounts, reps))
    second = plan_assignment(*frames(accounts, reps))
    assert owners(first) == owners(second)


def test_out_of_time_with_value_capacities_gives_the_repaired_plan_and_the_bound() -> None:
    # 150 pragmatists of one developing rep; six strong reps with room for 30 each but 1,000 of value.
    reps = [rep(f"S{i}", "strong", 30, value_capacity=1000.0) for i in range(6)] + [rep("D", "developing", 400)]
    accounts = [acc(f"y{i}", "D", "pragmatist", value=float(20 + (i * 37) % 180)) for i in range(150)]
    plan = plan_assignment(*frames(accounts, reps), time_limit=1e-9)
    assert plan.status == "unproven"
    assert plan.method == "repair"
    assert plan.reason is None
    table = plan.reps.set_index("rep_id")
    assert (table["value_after"] <= table["value_capacity"].fillna(float("inf"))).all()
    assert (table["accounts_after"] <= table["capacity"]).all()
    # The bound: every pragmatist with a strong rep, 150 x 3 points (in hundredths).
    assert plan.bound == 45000
    assert plan.score is not None
    assert 0 < plan.score < plan.bound


def test_an_at_risk_customer_is_placed_like_an_active_one_and_a_churned_one_stays_unflagged() -> None:
    reps = [rep("S", "strong", 3), rep("D", "developing", 3)]
    accounts = [
        acc("risk-prag", "D", "pragmatist", lifecycle="at_risk"),
        acc("gone-prag", "D", "pragmatist", lifecycle="churned"),
        acc("active-vis", "S", "visionary", lifecycle="active"),
    ]
    plan = plan_assignment(*frames(accounts, reps))
    rows = plan.accounts.set_index("account_id")
    # The at-risk pragmatist moves to the strong rep as an active one would; the churned one,
    # which said it is leaving, stays with its owner and is not sent to the follow-up queue.
    assert owners(plan) == {"risk-prag": "S", "gone-prag": "D", "active-vis": "D"}
    assert not rows.loc["gone-prag", "follow_up"]
