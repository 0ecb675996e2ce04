"""One call from accounts, reps and a policy to a reviewed-ready plan (or why there is none)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kokyaku.domain.assignment.baselines import Baseline, baselines
from kokyaku.domain.assignment.diagnose import Infeasibility, capacity_reason, precheck, value_reason
from kokyaku.domain.assignment.explain import account_table, counted, policy_fit, rep_table
from kokyaku.domain.assignment.flow import solve_counts
from kokyaku.domain.assignment.inputs import IntArray, Problem, read_problem
from kokyaku.domain.assignment.network import disaggregate
from kokyaku.domain.assignment.policy import AssignmentPolicy
from kokyaku.domain.assignment.value import fixed_value, repair, rounded_values, solve_values, within_value
from kokyaku.domain.errors import DomainError

STATUSES: tuple[str, ...] = ("optimal", "infeasible", "unproven")
METHODS: tuple[str, ...] = ("min_cost_flow", "cp_sat", "repair", "none")
DEFAULT_TIME_LIMIT = 10.0


@dataclass(frozen=True)
class AssignmentPlan:
    """A plan: its status, why it is infeasible if so, and what it does, account by account.

    ``status``: "optimal" (proven), "infeasible" (``reason`` says why; nothing moves) or
    "unproven" (only with value capacities: a plan within every capacity but no proof it is the
    best — ``gap`` says how far from the bound it may be — or, with ``reason``, no plan found in
    time). ``score`` and ``bound`` are the policy score in hundredths of a weight point; the bound
    is the count-capacity optimum, which no plan within value capacities can beat. ``method``:
    "min_cost_flow", "repair" (the greedy value repair), "cp_sat" or "none".
    ``accounts`` and ``reps`` are :func:`~.explain.account_table` and :func:`~.explain.rep_table`;
    ``moves`` the moved rows of ``accounts``.
    ``solver_seconds`` covers grouping, the solver and turning flows back into owners;
    ``seconds`` the whole call (reading the frames, explanations and baselines included).
    """

    status: str
    reason: Infeasibility | None
    policy: AssignmentPolicy
    method: str
    accounts: pd.DataFrame
    reps: pd.DataFrame
    policy_fit: float | None
    policy_fit_before: float
    counted_accounts: int
    score: int | None
    bound: int | None
    solver_seconds: float
    seconds: float
    baselines: dict[str, Baseline] = field(default_factory=dict)

    @property
    def moves(self) -> pd.DataFrame:
        return self.accounts.loc[self.accounts["moved"], ["account_id", "owner_before", "owner_after", "reason", "term"]]

    @property
    def gap(self) -> float | None:
        """How far the score may be below the optimum, as a share of the bound (0.0 when proven)."""
        if self.score is None or not self.bound:
            return None
        return max(0.0, 1 - self.score / self.bound)

    @property
    def move_count(self) -> int:
        return int(self.accounts["moved"].sum())

    def summary(self) -> dict[str, Any]:
        """The issue's JSON shape for ``kokyaku assign plan --json`` (without the stored plan's id)."""
        return {
            "status": self.status,
            "reason": self.reason.to_dict() if self.reason is not None else None,
            "seconds": round(self.solver_seconds, 3),
            "moves": self.move_count,
            "policy_fit": self.policy_fit,
            "baselines": {name: b.to_dict() for name, b in self.baselines.items()},
        }


def policy_score(p: Problem, owner: IntArray) -> int:
    """The policy score of an assignment of the movable accounts, in hundredths (what is maximised)."""
    move = p.movable & (owner >= 0)
    r = owner[move]
    stay = (r == p.owner[move]) & p.rep_active[r]
    return int(p.tier_score[move, p.rep_tier[r]].sum() + p.continuity * stay.sum())


def plan_assignment(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    policy: AssignmentPolicy | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    with_baselines: bool = True,
) -> AssignmentPlan:
    """Return the optimal assignment of ``accounts`` to ``reps`` under ``policy``, or why none exists.

    Bad input (a missing column, an unknown owner, a negative capacity, ...) raises
    :class:`DomainError` naming the row, column and value. A well-formed input with no plan within
    the rules and capacities returns an "infeasible" plan whose ``reason`` says why; nothing moves.
    ``time_limit`` (seconds) bounds CP-SAT, which only runs when value capacities bind, the greedy
    repair does not reach the bound, and the value network is small enough.
    """
    if not time_limit > 0:
        raise DomainError(f"time limit must be positive, got {time_limit}")
    policy = policy if policy is not None else AssignmentPolicy()
    started = time.perf_counter()
    p = read_problem(accounts, reps, policy)
    solve_start = time.perf_counter()
    status, reason, method, owner, score, bound = _solve(p, time_limit)
    solver_seconds = time.perf_counter() - solve_start
    final = owner if owner is not None else p.owner
    found = owner is not None
    return AssignmentPlan(
        status=status,
        reason=reason,
        policy=policy,
        method=method,
        accounts=account_table(p, final, follow_up_enabled=policy.dormant_follow_up),
        reps=rep_table(p, final),
        policy_fit=policy_fit(p, final) if found else None,
        policy_fit_before=policy_fit(p, p.owner),
        counted_accounts=int(counted(p).sum()),
        score=score,
        bound=bound,
        solver_seconds=solver_seconds,
        seconds=time.perf_counter() - started,
        baselines=baselines(p) if found and with_baselines else {},
    )


def _solve(p: Problem, time_limit: float) -> tuple[str, Infeasibility | None, str, IntArray | None, int | None, int | None]:
    reason = precheck(p)
    if reason is not None:
        return "infeasible", reason, "none", None, None, None
    counts = solve_counts(p)
    if not counts.optimal or counts.owner is None:
        return "infeasible", capacity_reason(p, counts), "min_cost_flow", None, None, None
    if not p.has_value_capacity:
        return "optimal", None, "min_cost_flow", counts.owner, counts.score, counts.score
    # The count optimum bounds the value-limited optimum; dealt with value in mind, it often fits,
    # and then it is optimal here too.
    assert counts.flows is not None
    room = np.where(p.rep_active, p.rep_value_capacity - fixed_value(p), 0.0)
    owner = disaggregate(p, counts.network, *counts.flows, room=room)
    if within_value(p, owner):
        return "optimal", None, "min_cost_flow", owner, counts.score, counts.score
    if p.value[p.movable].sum() > room.sum():
        return "infeasible", value_reason(p, proven=True), "none", None, None, None
    # Repair greedily (with values rounded up as CP-SAT sees them); if that loses nothing against
    # the count optimum, it is optimal. Otherwise CP-SAT, on models small enough, improves and proves.
    level, grid = rounded_values(p)
    repaired = repair(p, owner, grid[level].astype(np.float64))
    repaired_score = policy_score(p, repaired) if repaired is not None else None
    if repaired is not None and repaired_score == counts.score:
        return "optimal", None, "repair", repaired, counts.score, counts.score  # the bound, attained
    v = solve_values(p, level=level, grid=grid, hint=repaired if repaired is not None else owner, time_limit=time_limit)
    if v.status == "infeasible":
        return "infeasible", value_reason(p, proven=True), "cp_sat", None, None, None
    if v.status == "optimal" and v.owner is not None:
        return "optimal", None, "cp_sat", v.owner, v.score, v.score
    # No proof: the better of CP-SAT's best and the repaired plan; the count optimum bounds both.
    if v.owner is not None and (repaired_score is None or v.score >= repaired_score):
        return "unproven", None, "cp_sat", v.owner, v.score, counts.score
    if repaired is not None and repaired_score is not None:
        return "unproven", None, "repair", repaired, repaired_score, counts.score
    return "unproven", value_reason(p, proven=False, tried=v.status != "too_large"), "none", None, None, counts.score
