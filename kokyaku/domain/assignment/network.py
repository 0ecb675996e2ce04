"""The assignment as a network over groups of interchangeable accounts, and back to accounts.

One arc per account × rep would be 20 million arcs at 100,000 accounts × 200 reps. But accounts
with the same current owner, the same scope cell (team / region, when the policy keeps them) and
the same tier scores earn exactly the same from every rep, so they form one *group*. And every
rep of a tier earns a group the same, except its current owner (continuity). So a group has one
arc to its owner and one to each *pool* — (cell, tier) — and a pool one arc to each rep it may
use. The optimum of this network is the optimum of the account × rep problem: a unit a pool sends
to a group's own owner would earn more by the group's direct arc, so an optimal flow never does.

With expected-value capacities, groups and pools are split further by value level (see
``value.py``), so that the units of a group are interchangeable for the value constraint too.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.assignment.inputs import NO_CODE, BoolArray, FloatArray, IntArray, Problem


@dataclass(frozen=True)
class Network:
    """Groups, pools and arcs; node numbers: groups, then pools, then reps, then the sink."""

    group_of: IntArray  # [n] the group of each movable account, -1 for fixed ones
    size: IntArray  # [G]
    group_owner: IntArray  # [G] the current owner when active (continuity), else -1
    group_cell: IntArray  # [G]
    group_level: IntArray  # [G] value level (0 when values do not matter)
    cell_team: IntArray  # [C]
    cell_region: IntArray  # [C]
    free: IntArray  # [m] capacity left after fixed accounts (0 for inactive reps)
    pool_cell: IntArray  # [P]
    pool_tier: IntArray  # [P]
    pool_level: IntArray  # [P]
    pool_index: npt.NDArray[np.int64]  # [C, 2, L] pool per (cell, tier, level), -1 none
    link_pool: IntArray  # pool -> rep arcs
    link_rep: IntArray
    stay_group: IntArray  # group -> owner arcs
    stay_score: IntArray
    out_group: IntArray  # group -> pool arcs
    out_pool: IntArray
    out_score: IntArray

    @property
    def groups(self) -> int:
        return len(self.size)

    @property
    def pools(self) -> int:
        return len(self.pool_cell)

    def group_node(self, g: IntArray) -> IntArray:
        return g

    def pool_node(self, p: IntArray) -> IntArray:
        return self.groups + p

    def rep_node(self, r: IntArray) -> IntArray:
        return self.groups + self.pools + r

    @property
    def sink(self) -> int:
        return self.groups + self.pools + len(self.free)


def fixed_load(problem: Problem) -> IntArray:
    """Count the accounts that stay put (pinned, dormant and held with their owner) per rep."""
    fixed = ~problem.movable & (problem.owner >= 0)
    return np.bincount(problem.owner[fixed], minlength=problem.m).astype(np.int64)


def build_network(problem: Problem, *, level: IntArray | None = None, levels: int = 1) -> Network:
    """Group the movable accounts and lay out the arcs (``level``: a value level per account)."""
    p = problem
    free = np.where(p.rep_active, p.rep_capacity - fixed_load(p), 0)
    move = np.flatnonzero(p.movable)
    owner = p.owner[move]
    owner_ok = owner >= 0
    owner_ok[owner_ok] = p.rep_active[owner[owner_ok]]
    columns = {
        "owner": np.where(owner_ok, owner, NO_CODE),
        "team": p.team[move] if p.keep_team else np.full(len(move), NO_CODE),
        "region": p.region[move] if p.keep_region else np.full(len(move), NO_CODE),
        "strong": p.tier_score[move, 0],
        "developing": p.tier_score[move, 1],
        "level": level[move] if level is not None else np.zeros(len(move), dtype=np.int64),
    }
    gid, first = group_ids(list(columns.values()))
    head = pd.DataFrame({k: v[first] for k, v in columns.items()})
    size = np.bincount(gid, minlength=len(first)).astype(np.int64)
    group_of = np.full(p.n, NO_CODE, dtype=np.int64)
    group_of[move] = gid

    cells = head[["team", "region"]].drop_duplicates().reset_index(drop=True)
    cell_team = cells["team"].to_numpy(dtype=np.int64)
    cell_region = cells["region"].to_numpy(dtype=np.int64)
    cell_of = pd.MultiIndex.from_frame(cells).get_indexer(pd.MultiIndex.from_frame(head[["team", "region"]]))
    group_cell = cell_of.astype(np.int64)
    allowed = (
        np.stack([p.allowed(int(t), int(r)) for t, r in zip(cell_team, cell_region, strict=True)])
        if len(cells)
        else np.zeros((0, p.m), dtype=bool)
    )
    allowed &= free[None, :] > 0

    # Pools: (cell, tier, level) with at least one rep to take accounts.
    tier_ok = np.stack([allowed & (p.rep_tier == k)[None, :] for k in (0, 1)], axis=1)  # [C, 2, m]
    has_rep: BoolArray = np.asarray(tier_ok.any(axis=2))  # [C, 2]
    used = np.zeros((len(cells), 2, levels), dtype=bool)
    group_level = head["level"].to_numpy(dtype=np.int64)
    used[group_cell, :, group_level] = True
    used &= has_rep[:, :, None]
    pool_index = np.full(used.shape, NO_CODE, dtype=np.int64)
    pool_cell, pool_tier, pool_level = (a.astype(np.int64) for a in np.nonzero(used))
    pool_index[pool_cell, pool_tier, pool_level] = np.arange(len(pool_cell))
    link_pool, link_rep = (a.astype(np.int64) for a in np.nonzero(tier_ok[pool_cell, pool_tier]))

    group_owner = head["owner"].to_numpy(dtype=np.int64)
    score = head[["strong", "developing"]].to_numpy(dtype=np.int64)
    has_owner = group_owner >= 0
    stay = np.zeros(len(head), dtype=bool)
    stay[has_owner] = allowed[group_cell[has_owner], group_owner[has_owner]]
    stay_group = np.flatnonzero(stay).astype(np.int64)
    stay_score = score[stay_group, p.rep_tier[group_owner[stay_group]]] + p.continuity
    out_group, out_tier = (a.astype(np.int64) for a in np.nonzero(pool_index[group_cell, :, group_level] >= 0))
    out_pool = pool_index[group_cell[out_group], out_tier, group_level[out_group]]
    out_score = score[out_group, out_tier]
    return Network(
        group_of=group_of,
        size=size,
        group_owner=group_owner,
        group_cell=group_cell,
        group_level=group_level,
        cell_team=cell_team,
        cell_region=cell_region,
        free=free.astype(np.int64),
        pool_cell=pool_cell,
        pool_tier=pool_tier,
        pool_level=pool_level,
        pool_index=pool_index,
        link_pool=link_pool,
        link_rep=link_rep,
        stay_group=stay_group,
        stay_score=stay_score.astype(np.int64),
        out_group=out_group,
        out_pool=out_pool,
        out_score=out_score.astype(np.int64),
    )


def group_ids(columns: list[IntArray]) -> tuple[IntArray, IntArray]:
    """Number the distinct rows of integer columns in lexicographic order; also each group's first row.

    Each column is made dense (0..k-1) and the columns are combined as digits of one integer key,
    which one sort numbers; if the key could overflow, it is re-numbered after each column.
    """
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for col in columns:
        low, high = (int(col.min()), int(col.max())) if n else (0, 0)
        if high - low < 4 * n + 1024:  # small range (codes, levels): no sort needed to make it dense
            digit, k = col - low, high - low + 1
        else:
            codes, inverse = np.unique(col, return_inverse=True)
            digit, k = inverse.ravel(), len(codes)
        if span * k >= 2**62:
            _, inverse = np.unique(key, return_inverse=True)
            key, span = inverse.ravel().astype(np.int64), int(inverse.max(initial=0)) + 1
        key = key * k + digit
        span *= k
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.ravel().astype(np.int64), first.astype(np.int64)


def disaggregate(
    problem: Problem, net: Network, stay: IntArray, out: IntArray, link: IntArray, *, room: FloatArray | None = None
) -> IntArray:
    """Turn arc flows back into one owner per account, deterministically.

    ``stay``, ``out`` and ``link`` are the flows on the stay, group → pool and pool → rep arcs.
    Within a group the accounts with the highest expected value stay (ties: input order); within a
    pool the accounts, highest value first, are dealt to its reps in turn up to each rep's share,
    so value spreads evenly over the reps of a tier. With ``room`` (value capacity left per rep),
    each account goes instead to the rep with the most room left that still has a share to fill.
    """
    owner_after = problem.owner.copy()
    move = np.flatnonzero(net.group_of >= 0)
    if move.size == 0:
        return owner_after
    g = net.group_of[move]
    order = np.lexsort((move, -problem.value[move], g))
    move, g = move[order], g[order]
    start = np.zeros(net.groups + 1, dtype=np.int64)
    np.cumsum(net.size, out=start[1:])
    position = np.arange(len(move)) - start[g]

    stays = np.zeros(net.groups, dtype=np.int64)
    np.add.at(stays, net.stay_group, stay)
    keep = position < stays[g]
    owner_after[move[keep]] = net.group_owner[g[keep]]

    # The rest of each group, in order, fill its out-arcs one after another: the arcs' units, laid
    # out group by group, line up with the leaving accounts (a group's flows add up to its size).
    arc_order = np.lexsort((net.out_pool, net.out_group))
    dest_pool = np.repeat(net.out_pool[arc_order], out[arc_order])
    leaving = ~keep
    targets = move[leaving]
    left = None
    if room is not None:
        kept = move[keep]
        left = room - np.bincount(owner_after[kept], weights=problem.value[kept], minlength=problem.m)
    for pool in np.unique(dest_pool):
        accounts = targets[dest_pool == pool]
        accounts = accounts[np.lexsort((accounts, -problem.value[accounts]))]
        sel = net.link_pool == pool
        if left is None:
            owner_after[accounts] = deal_in_turn(net.link_rep[sel], link[sel])
        else:
            owner_after[accounts] = _deal_by_room(net.link_rep[sel], link[sel], problem.value[accounts], left)
    return owner_after


def _deal_by_room(reps: IntArray, quota: IntArray, values: FloatArray, left: FloatArray) -> IntArray:
    """Give each value (largest first) to the rep with the most room left; updates ``left``."""
    heap = [(-float(left[r]), int(r)) for r, q in zip(reps, quota, strict=True) if q > 0]
    heapq.heapify(heap)
    todo = dict(zip(reps.tolist(), quota.tolist(), strict=True))
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        _, r = heapq.heappop(heap)
        out[i] = r
        left[r] -= v
        todo[r] -= 1
        if todo[r] > 0:
            heapq.heappush(heap, (-float(left[r]), r))
    return out


def deal_in_turn(reps: IntArray, quota: IntArray) -> IntArray:
    """Deal units to ``reps`` in turn (rep 1, rep 2, ..., rep 1, ...) until each has its quota."""
    rep_units = np.repeat(reps, quota)
    rounds = np.arange(len(rep_units)) - np.repeat(np.cumsum(quota) - quota, quota)
    return rep_units[np.lexsort((rep_units, rounds))]


def scope_ok(problem: Problem, owner_after: IntArray) -> BoolArray:
    """Return, per account, whether its owner is allowed by the policy's team and region rules."""
    p = problem
    r = np.maximum(owner_after, 0)
    ok = owner_after >= 0
    if p.keep_team:
        ok &= (p.team == NO_CODE) | (p.rep_team[r] == p.team)
    if p.keep_region:
        ok &= (p.region == NO_CODE) | (p.rep_region[r] == NO_CODE) | (p.rep_region[r] == p.region)
    return ok
