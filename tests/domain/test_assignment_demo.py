"""Proof on the demo portfolio (seed 0, the one `make run` loads): the plan puts at least 95% of
accounts where the policy wants them, within capacities, while round-robin reaches far less.

Zones and lifecycles come from the portfolio's own computation on the generated deals; the fit is
recounted here from the frames and the policy's definition, not read from the plan.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from benchmarks.assignment import demo_frames
from kokyaku.domain.assignment import MOVE_REASONS, TERM_TIERS, AssignmentPlan, AssignmentPolicy, plan_assignment
from tests.domain.assignment_frames import terms_of

POLICY = AssignmentPolicy()


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame, AssignmentPlan]:
    accounts, reps = demo_frames(2000, seed=0)
    return accounts, reps, plan_assignment(accounts, reps, policy=POLICY)


def wanted_tier(row: dict[str, Any]) -> str:
    """The tier the policy wants, from the account's row and the policy's weights alone."""
    weight = {"strong": 0.0, "developing": 0.0}
    for t in terms_of({**row, "released": False}):
        weight[TERM_TIERS[t]] += POLICY.weights[t]
    if weight["strong"] == weight["developing"]:
        return ""
    return max(weight, key=lambda k: weight[k])


def recount_fit(accounts: pd.DataFrame, reps: pd.DataFrame, owner_after: pd.Series) -> float:
    tier = reps.set_index("rep_id")["tier"]
    owner_tier = accounts["owner_id"].map(tier)
    wanted = accounts.apply(lambda r: wanted_tier(r.to_dict()), axis=1)
    held = (accounts["lifecycle"] == "dormant") & owner_tier.notna()  # dormant accounts stay with their owner
    counted = (wanted != "") & ~held
    placed = owner_after.map(tier)
    return float((placed[counted] == wanted[counted]).mean())


def test_the_plan_places_at_least_95_percent_where_the_policy_wants(
    demo: tuple[pd.DataFrame, pd.DataFrame, AssignmentPlan],
) -> None:
    accounts, reps, plan = demo
    assert plan.status == "optimal"
    after = plan.accounts.set_index("account_id")["owner_after"].reindex(accounts["account_id"]).reset_index(drop=True)
    fit = recount_fit(accounts, reps, after)
    assert fit >= 0.95
    assert plan.policy_fit == pytest.approx(fit)
    before = recount_fit(accounts, reps, accounts["owner_id"])
    assert before < 0.6  # today's owners were handed out blind to type


def test_round_robin_and_equal_split_reach_far_less(demo: tuple[pd.DataFrame, pd.DataFrame, AssignmentPlan]) -> None:
    accounts, reps, plan = demo
    for name in ("round_robin", "equal_split"):
        owners = pd.Series(reps["rep_id"].to_numpy()[plan.baselines[name].owner])
        fit = recount_fit(accounts, reps, owners)
        assert fit == pytest.approx(plan.baselines[name].policy_fit)
        assert fit < 0.6
        assert plan.policy_fit is not None
        assert plan.policy_fit - fit > 0.35
    # Round-robin redeals nearly everything; the plan moves fewer than half.
    assert plan.baselines["round_robin"].moves > 0.9 * len(accounts)
    assert plan.move_count < 0.5 * len(accounts)


def test_every_rep_stays_within_capacity_and_in_its_team(demo: tuple[pd.DataFrame, pd.DataFrame, AssignmentPlan]) -> None:
    accounts, reps, plan = demo
    load = plan.accounts["owner_after"].value_counts()
    capacity = reps.set_index("rep_id")["capacity"]
    assert (load.reindex(capacity.index, fill_value=0) <= capacity).all()
    team = reps.set_index("rep_id")["team"]
    rows = plan.accounts.merge(accounts[["account_id", "owner_id"]], on="account_id")
    assert (rows["owner_after"].map(team) == rows["owner_id"].map(team)).all()
    recount = plan.reps.set_index("rep_id")["accounts_after"]
    assert recount.to_dict() == load.reindex(capacity.index, fill_value=0).to_dict()


def test_every_move_is_explained_by_a_known_reason_in_its_direction(
    demo: tuple[pd.DataFrame, pd.DataFrame, AssignmentPlan],
) -> None:
    _, reps, plan = demo
    moves = plan.moves
    assert len(moves) == plan.move_count > 0
    assert set(moves["reason"]) <= set(MOVE_REASONS)
    tier = reps.set_index("rep_id")["tier"]
    by_term = moves[moves["reason"].isin(list(TERM_TIERS))]
    assert len(by_term) > 0.8 * len(moves)
    assert (by_term["owner_after"].map(tier) == by_term["reason"].map(TERM_TIERS)).all()
    assert (by_term["owner_before"].map(tier) != by_term["reason"].map(TERM_TIERS)).all()


def test_dormant_accounts_stay_and_those_no_strong_rep_covers_are_flagged(
    demo: tuple[pd.DataFrame, pd.DataFrame, AssignmentPlan],
) -> None:
    accounts, reps, plan = demo
    rows = plan.accounts.merge(accounts[["account_id", "lifecycle"]], on="account_id")
    tier = reps.set_index("rep_id")["tier"]
    flagged = rows[rows["follow_up"]]
    assert len(flagged) > 0
    assert (flagged["lifecycle"] == "dormant").all()
    assert (flagged["owner_after"].map(tier) != "strong").all()
    dormant = rows[rows["lifecycle"] == "dormant"]
    assert not dormant["moved"].any()
    assert np.array_equal(dormant["follow_up"].to_numpy(), (dormant["owner_after"].map(tier) != "strong").to_numpy())
