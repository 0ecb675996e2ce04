"""The optimiser finds the best plan: checked against brute force over every assignment.

The brute force (``tests/domain/assignment_frames.py``) is written from the policy's definition,
not from the optimiser: it tries every owner for every account that may move, keeps the
assignments that respect capacities, active reps, teams and regions, and scores each one.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from kokyaku.domain.assignment import AssignmentPolicy, plan_assignment
from tests.domain.assignment_frames import acc, brute_force, frames, owners, rep, score_of

TYPES = ("visionary", "pragmatist", "conservative", "skeptic", "unknown")


def random_case(seed: int, *, values: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]], AssignmentPolicy]:
    rng = random.Random(seed)
    teams = ["T1", "T2"][: rng.randint(1, 2)]
    regions = ["", "Kanto", "Kansai"]
    reps = [
        rep(
            f"R{i}",
            rng.choice(["strong", "developing"]),
            rng.randint(1, 4),
            team=rng.choice(teams),
            active=rng.random() > 0.1,
            region=rng.choice(regions),
            value_capacity=rng.choice([None, 50.0, 80.0]) if values else None,
        )
        for i in range(3)
    ]
    accounts = [
        acc(
            f"a{i}",
            rng.choice([None, "R0", "R1", "R2", "R1"]),
            rng.choice(TYPES),
            zone=rng.choice(["A", "B", ""]),
            lifecycle=rng.choice(["prospect", "active", "dormant", "new"]),
            released=rng.random() < 0.15,
            pinned=rng.random() < 0.08,
            value=float(rng.choice([0, 10, 25, 40, 60])) if values else 0.0,
            region=rng.choice(regions),
        )
        for i in range(rng.randint(1, 7))
    ]
    policy = AssignmentPolicy(
        weights={t: rng.choice([0, 0.5, 1, 2, 3, 6]) for t in ("pragmatist", "visionary", "zone_a", "prospect")},
        continuity=rng.choice([0, 0.25, 0.5, 2]),
        keep_team=rng.random() < 0.7,
        keep_region=rng.random() < 0.4,
        dormant_follow_up=rng.random() < 0.8,
    )
    return accounts, reps, policy


@pytest.mark.parametrize("seed", range(120))
def test_the_plan_scores_as_well_as_the_best_assignment_brute_force_finds(seed: int) -> None:
    accounts, reps, policy = random_case(seed)
    best = brute_force(accounts, reps, policy)
    plan = plan_assignment(*frames(accounts, reps), policy=policy)
    if best == float("-inf"):
        assert plan.status == "infeasible"
        assert plan.reason is not None
        assert plan.move_count == 0
        return
    assert plan.status == "optimal", plan.reason
    got = owners(plan)
    assert score_of(accounts, reps, policy, got) == pytest.approx(best)
    assert plan.score == round(best * 100)
    by_id = {r["rep_id"]: r for r in reps}
    for r in reps:  # within capacity, inactive reps get nothing, pinned accounts stay
        load = sum(1 for a in accounts if got[a["account_id"]] == r["rep_id"])
        assert load <= (r["capacity"] if r["active"] else 0) or any(
            a["pinned"] and a["owner_id"] == r["rep_id"] for a in accounts
        )
    for a in accounts:
        if a["pinned"]:
            assert got[a["account_id"]] == a["owner_id"]
        else:
            assert by_id[got[a["account_id"]]]["active"]


@pytest.mark.parametrize("seed", range(60))
def test_with_value_capacities_the_plan_is_within_them_and_as_good_as_rounding_allows(seed: int) -> None:
    """Values are rounded up by at most 5% (VALUE_STEP): the plan is at least as good as the best
    plan with values 5% higher, never better than the best with the true values, and within the
    true value capacities."""
    accounts, reps, policy = random_case(1000 + seed, values=True)
    best = brute_force(accounts, reps, policy)
    inflated = [{**a, "expected_value": a["expected_value"] * 1.05} for a in accounts]
    best_rounded = brute_force(inflated, reps, policy)
    plan = plan_assignment(*frames(accounts, reps), policy=policy)
    if best == float("-inf"):
        assert plan.status == "infeasible"
        return
    if plan.status == "infeasible":
        assert best_rounded == float("-inf")  # only the 5% rounding can lose a plan
        return
    assert plan.status == "optimal", plan.reason
    got = owners(plan)
    score = score_of(accounts, reps, policy, got)
    assert score <= best + 1e-9
    assert score >= best_rounded - 1e-9
    for r in reps:
        if r["value_capacity"] is not None and r["active"]:
            value = sum(a["expected_value"] for a in accounts if got[a["account_id"]] == r["rep_id"])
            pinned = sum(a["expected_value"] for a in accounts if a["pinned"] and a["owner_id"] == r["rep_id"])
            assert value <= max(r["value_capacity"], pinned) + 1e-9
