"""Solve the count-capacity assignment exactly, as a min-cost flow (OR-Tools).

Source: each group supplies its accounts; arcs group → owner / pool → rep → sink carry them; the
rep → sink arc holds the rep's free capacity. Costs are ``K - score`` (non-negative; every unit
crosses exactly one group arc, so minimising cost maximises the policy score). Min-cost flow on
integer costs is exact: status OPTIMAL is a proof of optimality, not a heuristic's best effort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from kokyaku.domain.assignment.inputs import BoolArray, IntArray, Problem
from kokyaku.domain.assignment.network import Network, build_network, disaggregate


@dataclass(frozen=True)
class FlowOutcome:
    """``owner`` per account when optimal; else the min cut: groups and reps that cannot meet."""

    optimal: bool
    owner: IntArray | None
    score: int  # the optimum's policy score, in hundredths
    short_groups: BoolArray | None  # [G] groups on the source side of the min cut
    short_reps: BoolArray | None  # [m] reps on the source side (all full)
    shortfall: int
    network: Network
    flows: tuple[IntArray, IntArray, IntArray] | None = None  # stay, group -> pool, pool -> rep


def solve_counts(problem: Problem, net: Network | None = None, *, charge: tuple[IntArray, IntArray] | None = None) -> FlowOutcome:
    """Return the optimal owners under count capacities, or where the capacity runs short.

    ``charge``: extra integer costs on the stay and pool → rep arcs (value prices, ``value.py``);
    the returned score is the policy score alone, without them.
    """
    net = net if net is not None else build_network(problem)
    total = int(net.size.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        flows = (np.zeros(len(net.stay_group), dtype=np.int64), np.zeros(len(net.out_group), dtype=np.int64), empty)
        return FlowOutcome(True, problem.owner.copy(), 0, None, None, 0, net, flows)
    m = len(net.free)
    top = int(max(net.stay_score.max(initial=0), net.out_score.max(initial=0)))
    reps = np.arange(m, dtype=np.int64)
    tails = np.concatenate(
        [net.group_node(net.stay_group), net.group_node(net.out_group), net.pool_node(net.link_pool), net.rep_node(reps)]
    )
    heads = np.concatenate(
        [
            net.rep_node(net.group_owner[net.stay_group]),
            net.pool_node(net.out_pool),
            net.rep_node(net.link_rep),
            np.full(m, net.sink, dtype=np.int64),
        ]
    )
    caps = np.concatenate([net.size[net.stay_group], net.size[net.out_group], net.free[net.link_rep], net.free])
    stay_charge, link_charge = charge if charge is not None else (0, np.zeros(len(net.link_pool), dtype=np.int64))
    costs = np.concatenate([top - net.stay_score + stay_charge, top - net.out_score, link_charge, np.zeros(m, dtype=np.int64)])
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    nodes = np.arange(net.sink + 1, dtype=np.int64)
    supplies = np.zeros(net.sink + 1, dtype=np.int64)
    supplies[: net.groups] = net.size
    supplies[net.sink] = -total
    smcf.set_nodes_supplies(nodes, supplies)
    status = smcf.solve()
    if status == smcf.OPTIMAL:
        flows = smcf.flows(arcs)
        a, b, c = len(net.stay_group), len(net.out_group), len(net.link_pool)
        parts = (flows[:a], flows[a : a + b], flows[a + b : a + b + c])
        owner = disaggregate(problem, net, *parts)
        score = int(parts[0] @ net.stay_score + parts[1] @ net.out_score)
        return FlowOutcome(True, owner, score, None, None, 0, net, parts)
    if status != smcf.INFEASIBLE:  # pragma: no cover - OR-Tools reports bad input; ours is checked
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return _min_cut(net)


def _min_cut(net: Network) -> FlowOutcome:
    """Find the accounts that cannot all be placed: a max flow's source-side min cut."""
    m = len(net.free)
    total = int(net.size.sum())
    source = net.sink + 1
    groups = np.arange(net.groups, dtype=np.int64)
    reps = np.arange(m, dtype=np.int64)
    tails = np.concatenate(
        [
            np.full(net.groups, source, dtype=np.int64),
            net.group_node(net.stay_group),
            net.group_node(net.out_group),
            net.pool_node(net.link_pool),
            net.rep_node(reps),
        ]
    )
    heads = np.concatenate(
        [
            net.group_node(groups),
            net.rep_node(net.group_owner[net.stay_group]),
            net.pool_node(net.out_pool),
            net.rep_node(net.link_rep),
            np.full(m, net.sink, dtype=np.int64),
        ]
    )
    # Only source and sink arcs are finite, so the cut is made of whole groups and whole reps.
    inner = len(net.stay_group) + len(net.out_group) + len(net.link_pool)
    caps = np.concatenate([net.size, np.full(inner, total, dtype=np.int64), net.free])
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(tails, heads, caps)
    status = smf.solve(source, net.sink)
    if status != smf.OPTIMAL:  # pragma: no cover
        raise RuntimeError(f"max flow failed with status {status}")
    side = np.zeros(net.sink + 2, dtype=bool)
    side[np.asarray(smf.get_source_side_min_cut(), dtype=np.int64)] = True
    short_groups = side[: net.groups]
    short_reps = side[net.groups + net.pools : net.groups + net.pools + m]
    return FlowOutcome(False, None, 0, short_groups, short_reps, total - int(smf.optimal_flow()), net)
