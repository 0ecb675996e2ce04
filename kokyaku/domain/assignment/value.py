"""Expected-value capacities: the same network, split by value level, solved with CP-SAT.

With a value capacity the accounts of a group are no longer interchangeable (their values differ),
and packing values into capacities is NP-hard in general. Two steps keep it exact and fast:

1. The count-capacity optimum (min-cost flow) is tried first. If it keeps every rep within its
   value capacity it is optimal here too: it is the optimum of a relaxation and it is feasible.
   Loose value limits, the common case, end here.
2. Otherwise each account's value is rounded *up* to a geometric grid (``VALUE_STEP``, 5% apart),
   groups and pools are split by grid level, and CP-SAT solves that integer program to a proven
   optimum. Rounding up means the true values never exceed a limit; the plan is proven optimal
   for the rounded values (a limit can be left up to 5% unused).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from kokyaku.domain.assignment.inputs import NO_CODE, FloatArray, IntArray, Problem
from kokyaku.domain.assignment.network import Network, build_network, disaggregate

VALUE_STEP = 0.05
# Values below this share of the smallest value capacity count as this much (one grid level),
# so a long tail of tiny values does not make thousands of levels.
VALUE_FLOOR_SHARE = 1e-5
# CP-SAT is tried on value networks up to this many groups (about this many accounts with distinct
# owner, profile and value level): measured, larger ones rarely gave a first solution in a minute.
CP_SAT_MAX_GROUPS = 5_000
# How many of an over-capacity rep's highest-value accounts the repair weighs at a time.
SWAP_WIDTH = 64
# ... and how many of each other rep's lowest-value accounts it weighs as swap partners.
SWAP_DEPTH = 16


@dataclass(frozen=True)
class ValueOutcome:
    """``owner`` per account when a solution was found; ``status``: optimal, infeasible or unproven."""

    status: str
    owner: IntArray | None
    score: int
    bound: int | None  # the best score still possible (None when the solver stopped before one)
    network: Network | None


def value_levels(values: FloatArray, floor: float, step: float = VALUE_STEP) -> tuple[IntArray, IntArray]:
    """Return each value's grid level and each level's (rounded-up, whole-unit) value.

    Level 0 is the value 0; level k >= 1 is ``floor * (1 + step) ** (k - 1)``.
    """
    v = np.asarray(values, dtype=float)
    level = np.zeros(len(v), dtype=np.int64)
    pos = v > 0
    level[pos] = 1 + np.maximum(np.ceil(np.log(v[pos] / floor) / np.log1p(step) - 1e-9), 0).astype(np.int64)
    top = int(level.max(initial=0))
    grid = np.zeros(top + 1, dtype=np.int64)
    grid[1:] = np.ceil(floor * (1 + step) ** np.arange(top)).astype(np.int64)
    # Float rounding could leave a value a hair above its level: move it up one.
    over = pos & (v > grid[level])
    while over.any():
        level[over] += 1
        if int(level.max()) >= len(grid):
            grid = np.append(grid, np.ceil(floor * (1 + step) ** (len(grid) - 1)).astype(np.int64))
        over = pos & (v > grid[level])
    return level, grid


def fixed_value(problem: Problem) -> FloatArray:
    fixed = ~problem.movable & (problem.owner >= 0)
    value: FloatArray = np.bincount(problem.owner[fixed], weights=problem.value[fixed], minlength=problem.m).astype(np.float64)
    return value


def within_value(problem: Problem, owner: IntArray) -> bool:
    """Whether every active rep's expected value stays within its value capacity."""
    owned = owner >= 0
    load = np.bincount(owner[owned], weights=problem.value[owned], minlength=problem.m)
    return bool((load <= problem.rep_value_capacity * (1 + 1e-12)).all())


def rounded_values(problem: Problem, step: float = VALUE_STEP) -> tuple[IntArray, IntArray]:
    """Each account's value level and the grid, with the floor taken from the smallest value capacity."""
    p = problem
    caps = p.rep_value_capacity[p.rep_active & np.isfinite(p.rep_value_capacity)]
    floor = max(float(caps.min(initial=1.0)) * VALUE_FLOOR_SHARE, 1e-9)
    return value_levels(p.value, floor, step)


def repair(problem: Problem, owner: IntArray, values: FloatArray, *, seconds: float = 10.0) -> IntArray | None:
    """Bring every rep within its value capacity, losing as little policy score as possible.

    A greedy search, not an optimiser. For the rep furthest over its value capacity it weighs two
    kinds of step: *move* one of its accounts to another allowed rep with room for it, or *swap*
    one of its accounts for a lower-value account of another allowed rep (no rep's count changes:
    this is how value leaves a rep whose peers are full by count). It takes the steps that lose the
    least score per unit of value shed until the rep fits, then goes to the next rep. Returns None
    when a rep cannot be brought within capacity this way (or ``seconds`` run out). Values are
    ``values`` (CP-SAT's rounded-up ones, so the result is a valid start for it).
    """
    p = problem
    started = time.perf_counter()
    owner = owner.copy()
    cap_v = np.where(p.rep_active, p.rep_value_capacity, 0.0)
    cap_n = np.where(p.rep_active, p.rep_capacity, 0)
    owned = owner >= 0
    load_v = np.bincount(owner[owned], weights=values[owned], minlength=p.m)
    load_n = np.bincount(owner[owned], minlength=p.m)
    movable = p.movable
    team = p.team if p.keep_team else np.full(p.n, NO_CODE)
    region = p.region if p.keep_region else np.full(p.n, NO_CODE)
    bonus = np.where((p.owner >= 0) & p.rep_active[np.maximum(p.owner, 0)], p.continuity, 0).astype(np.float64)

    def score(i: IntArray, r: IntArray) -> FloatArray:
        out: FloatArray = p.tier_score[i, p.rep_tier[r]] + bonus[i] * (p.owner[i] == r)
        return out

    def allowed(i: IntArray) -> npt.NDArray[np.bool_]:
        ok = np.zeros((len(i), p.m), dtype=bool)
        for t, g in {(int(a), int(b)) for a, b in zip(team[i], region[i], strict=True)}:
            ok[(team[i] == t) & (region[i] == g)] = p.allowed(t, g)
        return ok

    tol = 1e-9
    while time.perf_counter() - started < seconds:
        over = np.flatnonzero(load_v > cap_v + tol)
        if over.size == 0:
            return owner
        r = int(over[np.argmax((load_v[over] - cap_v[over]) / np.maximum(cap_v[over], tol))])
        here = np.flatnonzero(movable & (owner == r) & (values > 0))
        here = here[np.argsort(-values[here], kind="stable")][:SWAP_WIDTH]
        if here.size == 0:
            return None
        ok = allowed(here)
        ok[:, r] = False
        rs = np.full(len(here), r)
        # Moves: each account to its best allowed rep with room for it.
        fits = ok & (load_n < cap_n)[None, :] & (load_v[None, :] + values[here][:, None] <= cap_v[None, :] + tol)
        at = np.where(fits, p.tier_score[here][:, p.rep_tier].astype(np.float64), -np.inf)
        at[np.arange(len(here)), np.maximum(p.owner[here], 0)] += np.where(p.owner[here] >= 0, bonus[here], 0)
        dest = at.argmax(axis=1)
        move_gain = at[np.arange(len(here)), dest] - score(here, rs)
        # Swaps: each account for a lower-value account of a rep that may take it and can give back.
        # ... taken from the reps r's accounts may go to that have value room: their lowest-value few.
        givers = ok.any(axis=0) & (load_v < cap_v - tol)
        partners = np.flatnonzero(movable & (owner >= 0) & givers[np.maximum(owner, 0)])
        partners = partners[np.lexsort((values[partners], owner[partners]))]
        first = np.searchsorted(owner[partners], owner[partners], side="left")
        partners = partners[np.arange(len(partners)) - first < SWAP_DEPTH]
        po = owner[partners]
        shed = values[here][:, None] - values[partners][None, :]  # value leaving r
        can = ok[:, po] & allowed(partners)[:, r][None, :] & (shed > 0)
        can &= load_v[po][None, :] + shed <= cap_v[po][None, :] + tol
        gain = score(np.repeat(here, len(partners)), np.tile(po, len(here))).reshape(len(here), -1)
        gain += score(partners, np.full(len(partners), r))[None, :]
        gain -= score(here, rs)[:, None] + score(partners, po)[None, :]
        gain = np.where(can, gain, -np.inf)
        if len(partners):
            best_swap = gain.argmax(axis=1)
            swap_gain = gain[np.arange(len(here)), best_swap]
            swap_shed = shed[np.arange(len(here)), best_swap]
        else:
            best_swap, swap_gain, swap_shed = np.zeros(len(here), dtype=np.int64), np.full(len(here), -np.inf), np.ones(len(here))
        # One step per account of r, best loss per unit of value shed first, while r is over.
        move_rate = np.where(np.isfinite(move_gain), move_gain / values[here], -np.inf)
        swap_rate = np.where(np.isfinite(swap_gain), swap_gain / np.maximum(swap_shed, tol), -np.inf)
        rate = np.maximum(move_rate, swap_rate)
        if not np.isfinite(rate).any():
            return None
        used: set[int] = set()
        for k in np.argsort(-rate, kind="stable"):
            if not np.isfinite(rate[k]) or load_v[r] <= cap_v[r] + tol:
                break
            i = int(here[k])
            if move_rate[k] >= swap_rate[k]:
                d, v = int(dest[k]), float(values[i])
                if load_n[d] >= cap_n[d] or load_v[d] + v > cap_v[d] + tol:
                    continue
                owner[i] = d
                load_v[[r, d]] += np.array([-v, v])
                load_n[[r, d]] += np.array([-1, 1])
            else:
                j = int(partners[best_swap[k]])
                d, v = int(owner[j]), float(values[i] - values[j])
                if j in used or owner[j] != d or load_v[d] + v > cap_v[d] + tol:
                    continue
                owner[i], owner[j] = d, r
                used.add(j)
                load_v[[r, d]] += np.array([-v, v])
    return None


def solve_values(
    problem: Problem,
    *,
    level: IntArray,
    grid: IntArray,
    hint: IntArray | None,
    time_limit: float,
    max_groups: int = CP_SAT_MAX_GROUPS,
    workers: int = 1,
) -> ValueOutcome:
    """Solve the value-limited problem on the grid with CP-SAT (``hint``: a plan to start from).

    Status "too_large" (nothing solved) when the network has more than ``max_groups`` groups.
    """
    p = problem
    net = build_network(p, level=level, levels=len(grid))
    if net.groups > max_groups:
        return ValueOutcome("too_large", None, 0, None, net)
    free_value = np.floor(p.rep_value_capacity - fixed_value(p))
    model = cp_model.CpModel()
    size = net.size
    stay = [model.new_int_var(0, int(size[g]), "") for g in net.stay_group]
    out = [model.new_int_var(0, int(size[g]), "") for g in net.out_group]
    link = [model.new_int_var(0, int(net.free[r]), "") for r in net.link_rep]

    by_group: list[list[cp_model.IntVar]] = [[] for _ in range(net.groups)]
    for v, g in zip(stay, net.stay_group, strict=True):
        by_group[g].append(v)
    for v, g in zip(out, net.out_group, strict=True):
        by_group[g].append(v)
    for g, vs in enumerate(by_group):
        model.add(sum(vs) == int(size[g]))
    into: list[list[cp_model.IntVar]] = [[] for _ in range(net.pools)]
    for v, q in zip(out, net.out_pool, strict=True):
        into[q].append(v)
    leave: list[list[cp_model.IntVar]] = [[] for _ in range(net.pools)]
    for v, q in zip(link, net.link_pool, strict=True):
        leave[q].append(v)
    for q in range(net.pools):
        model.add(sum(into[q]) == sum(leave[q]))
    count: list[list[cp_model.IntVar]] = [[] for _ in range(p.m)]
    worth: list[list[tuple[cp_model.IntVar, int]]] = [[] for _ in range(p.m)]
    for v, g in zip(stay, net.stay_group, strict=True):
        r = int(net.group_owner[g])
        count[r].append(v)
        worth[r].append((v, int(grid[net.group_level[g]])))
    for v, q, r in zip(link, net.link_pool, net.link_rep, strict=True):
        count[r].append(v)
        worth[r].append((v, int(grid[net.pool_level[q]])))
    for r in range(p.m):
        if count[r]:
            model.add(sum(count[r]) <= int(net.free[r]))
        if worth[r] and np.isfinite(free_value[r]):
            model.add(cp_model.LinearExpr.weighted_sum([v for v, _ in worth[r]], [w for _, w in worth[r]]) <= int(free_value[r]))
    model.maximize(
        cp_model.LinearExpr.weighted_sum(stay + out, [int(s) for s in net.stay_score] + [int(s) for s in net.out_score])
    )
    if hint is not None:
        _add_hint(model, net, hint, p, stay, out, link)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers  # one worker (default): the same input always gives the same plan
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return ValueOutcome("infeasible", None, 0, 0, net)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # out of time before a first solution
        return ValueOutcome("unproven", None, 0, None, net)
    values = np.array([solver.value(v) for v in stay + out + link], dtype=np.int64)
    a, b = len(stay), len(out)
    owner = disaggregate(p, net, values[:a], values[a : a + b], values[a + b :])
    proven = status == cp_model.OPTIMAL
    return ValueOutcome(
        "optimal" if proven else "unproven", owner, int(solver.objective_value), int(solver.best_objective_bound), net
    )


def _add_hint(
    model: cp_model.CpModel,
    net: Network,
    hint: IntArray,
    p: Problem,
    stay: list[cp_model.IntVar],
    out: list[cp_model.IntVar],
    link: list[cp_model.IntVar],
) -> None:
    """Hint the count optimum's flows (CP-SAT repairs it where it breaks a value limit)."""
    move = np.flatnonzero(net.group_of >= 0)
    g = net.group_of[move]
    to = hint[move]
    stayed = to == net.group_owner[g]
    stay_n = np.bincount(g[stayed], minlength=net.groups)
    for v, grp in zip(stay, net.stay_group, strict=True):
        model.add_hint(v, int(stay_n[grp]))
    tier = p.rep_tier[to]
    pool = net.pool_index[net.group_cell[g], tier, net.group_level[g]]
    gone = ~stayed & (pool >= 0)
    pair = {}
    keys, counts = np.unique(np.stack([g[gone], pool[gone]]), axis=1, return_counts=True)
    for (grp, q), c in zip(keys.T, counts, strict=True):
        pair[(int(grp), int(q))] = int(c)
    for v, grp, q in zip(out, net.out_group, net.out_pool, strict=True):
        model.add_hint(v, pair.get((int(grp), int(q)), 0))
    lk, lc = np.unique(np.stack([pool[gone], to[gone]]), axis=1, return_counts=True)
    lpair = {(int(q), int(r)): int(c) for (q, r), c in zip(lk.T, lc, strict=True)}
    for v, q, r in zip(link, net.link_pool, net.link_rep, strict=True):
        model.add_hint(v, lpair.get((int(q), int(r)), 0))
