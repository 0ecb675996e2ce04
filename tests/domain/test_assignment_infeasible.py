"""Inputs with no plan give a clear, structured reason and move nothing; bad input is refused."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from kokyaku.domain.assignment import AssignmentPlan, AssignmentPolicy, plan_assignment
from kokyaku.domain.errors import DomainError
from tests.domain.assignment_frames import acc, frames, rep


def assert_nothing_moves(plan: AssignmentPlan) -> None:
    assert plan.status == "infeasible"
    assert plan.move_count == 0
    assert (plan.accounts["owner_after"].fillna("-") == plan.accounts["owner_before"].fillna("-")).all()
    assert plan.policy_fit is None
    assert plan.baselines == {}
    summary = json.loads(json.dumps(plan.summary()))
    assert summary["status"] == "infeasible"
    assert summary["moves"] == 0
    assert summary["reason"]["code"] == plan.reason.code if plan.reason else False


def two_teams() -> list[dict[str, Any]]:
    return [rep("A", "strong", 2, team="T1"), rep("B", "developing", 1, team="T1"), rep("C", "strong", 3, team="T2")]


def test_a_team_with_more_accounts_than_room_is_named_with_its_shortfall() -> None:
    accounts = [acc(f"t1-{i}", "AB"[i % 2]) for i in range(5)] + [acc(f"t2-{i}", "C") for i in range(2)]
    plan = plan_assignment(*frames(accounts, two_teams()))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "capacity_short"
    assert (
        plan.reason.message
        == "5 account(s) need an owner within their team, but the active reps who may take them have room for 3: 2 short"
    )
    assert [dict(d) for d in plan.reason.details] == [{"team": "T1", "accounts": 5, "capacity": 3, "shortfall": 2}]
    assert dict(plan.reason.totals) == {"accounts": 5, "capacity": 3, "shortfall": 2}


def test_total_capacity_too_small_gives_the_shortfall_per_team() -> None:
    accounts = [acc(f"t1-{i}", "AB"[i % 2]) for i in range(5)] + [acc(f"t2-{i}", "C") for i in range(2)]
    plan = plan_assignment(*frames(accounts, two_teams()), policy=AssignmentPolicy(keep_team=False))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "capacity_short"
    assert dict(plan.reason.totals) == {"accounts": 7, "capacity": 6, "shortfall": 1}
    assert [dict(d) for d in plan.reason.details] == [
        {"team": "T1", "accounts": 5, "capacity": 3, "shortfall": 2},
        {"team": "T2", "accounts": 2, "capacity": 3, "shortfall": 0},
    ]


def test_pinned_accounts_use_up_room_before_the_shortfall_is_counted() -> None:
    reps = [rep("A", "strong", 3)]
    accounts = [acc("p1", "A", pinned=True), acc("p2", "A", pinned=True), acc("x", None), acc("y", None)]
    plan = plan_assignment(*frames(accounts, reps))
    assert plan.reason is not None
    assert dict(plan.reason.totals) == {"accounts": 2, "capacity": 1, "shortfall": 1}


def test_no_active_reps() -> None:
    reps = [rep("A", "strong", 5, active=False), rep("B", "developing", 5, active=False)]
    plan = plan_assignment(*frames([acc("a", "A"), acc("b", None)], reps))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "no_active_reps"
    assert plan.reason.message == "2 account(s) need an owner and there is no active rep"


def test_a_team_with_no_reps() -> None:
    reps = [rep("A", "strong", 5, team="Tokyo")]
    accounts = [acc("a", "A"), acc("b", None, team="Osaka"), acc("c", None, team="Osaka")]
    plan = plan_assignment(*frames(accounts, reps))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "team_without_reps"
    assert plan.reason.message == "team(s) Osaka have accounts but no rep, and the policy keeps accounts in their team"
    assert [dict(d) for d in plan.reason.details] == [{"team": "Osaka", "accounts": 2}]
    # Letting accounts cross teams makes it possible.
    assert plan_assignment(*frames(accounts, reps), policy=AssignmentPolicy(keep_team=False)).status == "optimal"


def test_a_team_whose_reps_are_all_inactive() -> None:
    reps = [rep("A", "strong", 5, team="Tokyo"), rep("B", "strong", 5, team="Osaka", active=False)]
    plan = plan_assignment(*frames([acc("a", "A"), acc("b", "B")], reps))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "team_without_active_reps"
    assert [dict(d) for d in plan.reason.details] == [{"team": "Osaka", "accounts": 1, "inactive_reps": 1}]


def test_a_region_no_active_rep_covers() -> None:
    reps = [rep("A", "strong", 5, region="Kanto")]
    plan = plan_assignment(*frames([acc("a", "A", region="Kyushu")], reps), policy=AssignmentPolicy(keep_region=True))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "region_without_reps"
    assert plan.reason.details[0]["region"] == "Kyushu"


def test_a_pinned_account_of_an_inactive_rep() -> None:
    reps = [rep("A", "strong", 5), rep("X", "strong", 5, active=False)]
    plan = plan_assignment(*frames([acc("a", "X", pinned=True), acc("b", "X")], reps))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "pinned_to_inactive_rep"
    assert [dict(d) for d in plan.reason.details] == [{"rep": "X", "accounts": 1}]


def test_pinned_and_held_accounts_beyond_a_reps_capacity() -> None:
    reps = [rep("S", "strong", 5), rep("D", "developing", 1)]
    accounts = [acc("p", "D", pinned=True), acc("d", "D", lifecycle="dormant")]
    plan = plan_assignment(*frames(accounts, reps))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "fixed_over_capacity"
    assert [dict(d) for d in plan.reason.details] == [{"rep": "D", "pinned": 1, "dormant_held": 1, "load": 2, "capacity": 1}]


def test_more_expected_value_than_the_value_capacities_hold() -> None:
    reps = [rep("S", "strong", 5, value_capacity=100.0), rep("D", "developing", 5, value_capacity=50.0)]
    accounts = [acc("a", "S", value=80.0), acc("b", "D", value=60.0), acc("c", "D", value=20.0)]
    plan = plan_assignment(*frames(accounts, reps))
    assert_nothing_moves(plan)
    assert plan.reason is not None
    assert plan.reason.code == "value_capacity_short"
    assert dict(plan.reason.totals) == {"value": 160.0, "capacity": 150.0, "shortfall": 10.0}


def test_values_that_cannot_be_packed_are_proven_infeasible() -> None:
    # 60 + 60 of value into two reps of 100 each is fine; 3 x 60 into 100 + 100 is not, though 180 < 200.
    reps = [rep("S", "strong", 5, value_capacity=100.0), rep("T", "strong", 5, value_capacity=100.0)]
    accounts = [acc("a", "S", value=60.0), acc("b", "S", value=60.0), acc("c", "T", value=60.0)]
    plan = plan_assignment(*frames(accounts, reps))
    assert_nothing_moves(plan)
    assert plan.method == "cp_sat"
    assert plan.reason is not None
    assert plan.reason.code == "value_capacity_short"


def test_pinned_value_beyond_a_value_capacity() -> None:
    reps = [rep("S", "strong", 5, value_capacity=50.0)]
    plan = plan_assignment(*frames([acc("a", "S", value=80.0, pinned=True)], reps))
    assert plan.reason is not None
    assert plan.reason.code == "fixed_over_value_capacity"
    assert plan.reason.details[0]["load"] == 80.0


BASE_REPS = [rep("S", "strong", 5)]


@pytest.mark.parametrize(
    ("side", "change", "message"),
    [
        ("accounts", lambda f: f.drop(columns="zone"), "accounts: missing column(s) zone"),
        ("reps", lambda f: f.drop(columns=["capacity", "tier"]), "reps: missing column(s) tier, capacity"),
        ("accounts", lambda f: f.assign(owner_id=["S", "Z"]), "accounts: owner_id 'Z' of 'b' is not a rep"),
        ("accounts", lambda f: f.assign(account_id=["a", "a"]), "accounts: account_id 'a' appears more than once"),
        (
            "accounts",
            lambda f: f.assign(buyer_type=["visionary", "innovator"]),
            "accounts: buyer_type 'innovator' of 'b' is not one of",
        ),
        ("accounts", lambda f: f.assign(zone=["A", "D"]), "accounts: zone 'D' of 'b' is not one of A, B, C"),
        ("accounts", lambda f: f.assign(lifecycle=["lost", "active"]), "accounts: lifecycle 'lost' of 'a' is not one of"),
        ("accounts", lambda f: f.assign(pinned=["yes", False]), "accounts: pinned must be true or false, got 'yes' for 'a'"),
        (
            "accounts",
            lambda f: f.assign(expected_value=[-1.0, 2.0]),
            "accounts: expected_value must be a number of at least 0, got -1.0 for 'a'",
        ),
        ("reps", lambda f: f.assign(tier=["expert"]), "reps: tier 'expert' of 'S' is not one of strong, developing"),
        ("reps", lambda f: f.assign(capacity=[-3]), "reps: capacity must be a number of at least 0, got -3 for 'S'"),
        ("reps", lambda f: f.assign(capacity=[2.5]), "reps: capacity must be a whole number of accounts, got 2.5 for 'S'"),
        (
            "reps",
            lambda f: f.assign(value_capacity=["lots"]),
            "reps: value_capacity must be a number of at least 0, got 'lots' for 'S'",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_row_column_and_value(side: str, change: Any, message: str) -> None:
    accounts, reps = frames([acc("a", "S"), acc("b", "S")], BASE_REPS)
    if side == "accounts":
        accounts = change(accounts)
    else:
        reps = change(reps)
    with pytest.raises(DomainError) as caught:
        plan_assignment(accounts, reps)
    assert str(caught.value).startswith(message)


def test_a_time_limit_must_be_positive() -> None:
    with pytest.raises(DomainError, match="time limit must be positive"):
        plan_assignment(*frames([acc("a", "S")], BASE_REPS), time_limit=0)


def test_frames_with_a_custom_index_are_read_by_position() -> None:
    accounts, reps = frames([acc("a", "S", "pragmatist"), acc("b", None)], BASE_REPS)
    accounts.index = pd.Index([10, 3])
    plan = plan_assignment(accounts, reps)
    assert plan.accounts["owner_after"].tolist() == ["S", "S"]


def test_running_out_of_time_on_value_capacities_says_so_and_moves_nothing() -> None:
    reps = [rep("S", "strong", 5, value_capacity=100.0), rep("T", "strong", 5, value_capacity=100.0)]
    accounts = [acc("a", "S", value=60.0), acc("b", "S", value=60.0), acc("c", "T", value=60.0)]
    plan = plan_assignment(*frames(accounts, reps), time_limit=1e-9)
    assert plan.status == "unproven"
    assert plan.reason is not None
    assert plan.reason.code == "time_limit"
    assert plan.reason.message == "no plan within the value capacities was found in the time allowed"
    assert plan.move_count == 0
