"""The assignments CRMs offer, computed in the same run so a plan can be shown beside them.

Both are blind to the policy (tiers, buyer types, zones, follow-up) but keep the same hard rules
as the plan: pinned accounts stay, inactive reps get nothing, accounts stay in their team / region
when the policy says so, and no rep gets more accounts than its capacity.

- **Round-robin** (Odoo's rotation, Salesforce / HubSpot assignment rules): every account that may
  move is dealt in turn, in input order, to the active reps of its team, skipping full reps.
- **Equal split** ("fair shares"): every active rep of a team gets the same number of accounts
  (within one, and within capacity), keeping as many current owners as possible — itself solved
  exactly as a min-cost flow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kokyaku.domain.assignment.explain import moved, policy_fit
from kokyaku.domain.assignment.flow import solve_counts
from kokyaku.domain.assignment.inputs import NO_CODE, IntArray, Problem
from kokyaku.domain.assignment.network import deal_in_turn, fixed_load, group_ids

BASELINES: tuple[str, ...] = ("round_robin", "equal_split")


@dataclass(frozen=True)
class Baseline:
    """A baseline's owners and how it scores: policy fit, moves, accounts it could not place."""

    name: str
    owner: IntArray
    policy_fit: float
    moves: int
    unplaced: int

    def to_dict(self) -> dict[str, Any]:
        """The issue's JSON shape for a baseline: policy fit and moves."""
        return {"policy_fit": self.policy_fit, "moves": self.moves}


def _blind(p: Problem) -> Problem:
    """The problem as a CRM sees it: no held follow-up accounts (only pinned ones stay)."""
    return replace(p, held=np.zeros(p.n, dtype=bool))


def _cells(p: Problem, move: np.ndarray) -> np.ndarray:
    team = p.team if p.keep_team else np.full(p.n, NO_CODE)
    region = p.region if p.keep_region else np.full(p.n, NO_CODE)
    return np.stack([team[move], region[move]], axis=1)


def round_robin(p: Problem) -> IntArray:
    """Deal the accounts that may move in turn to the allowed active reps with room (-1: no room)."""
    q = _blind(p)
    owner = q.owner.copy()
    move = np.flatnonzero(q.movable)
    owner[move] = NO_CODE
    room = np.where(q.rep_active, np.maximum(q.rep_capacity - fixed_load(q), 0), 0)
    cells = _cells(q, move)
    cell_of, first = group_ids([cells[:, 0], cells[:, 1]])
    for k, (team, region) in enumerate(cells[first].tolist()):
        accounts = move[cell_of == k]  # input order
        reps = np.flatnonzero(q.allowed(team, region) & (room > 0))
        dealt = deal_in_turn(reps, room[reps])[: len(accounts)]
        owner[accounts[: len(dealt)]] = dealt
        np.subtract.at(room, dealt, 1)
    return owner


def equal_split(p: Problem) -> IntArray:
    """Give every active rep of a team an equal share, moving as few accounts as possible.

    The share is the team's accounts over its active reps, rounded up, and never above a rep's
    capacity; when pinned accounts or regions make equal shares impossible, capacity alone limits.
    """
    q = _blind(p)
    team = q.team if q.keep_team else np.zeros(q.n, dtype=np.int64)
    rep_team = q.rep_team if q.keep_team else np.zeros(q.m, dtype=np.int64)
    share = np.zeros(q.m, dtype=np.int64)
    for t in np.unique(rep_team[q.rep_active]):
        reps = q.rep_active & (rep_team == t)
        share[reps] = -(-int((team == t).sum()) // int(reps.sum()))
    # Neither tier nor continuity weights: one point per account kept, so the optimum moves least.
    even = replace(q, tier_score=np.zeros_like(q.tier_score), continuity=1, rep_capacity=np.minimum(q.rep_capacity, share))
    outcome = solve_counts(even)
    if not outcome.optimal:
        outcome = solve_counts(replace(even, rep_capacity=q.rep_capacity))
    if outcome.owner is None:
        return np.where(q.movable, NO_CODE, q.owner)
    return outcome.owner


def evaluate(p: Problem, name: str, owner: IntArray) -> Baseline:
    """Score a baseline's owners against the policy ``p`` was read with."""
    return Baseline(name, owner, policy_fit(p, owner), int(moved(p, owner).sum()), int(((owner < 0) & ~p.pinned).sum()))


def baselines(p: Problem) -> dict[str, Baseline]:
    """Compute both baselines and score them against the policy ``p`` was read with."""
    return {"round_robin": evaluate(p, "round_robin", round_robin(p)), "equal_split": evaluate(p, "equal_split", equal_split(p))}
