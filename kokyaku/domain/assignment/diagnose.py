"""Why no plan exists: structured reasons, each a code the UI translates plus numbers to show.

Checks run from the most specific to the most general, so the manager sees the cause before its
consequence ("team Osaka has no active rep" rather than "200 accounts short"):

1. ``pinned_to_inactive_rep``: a pinned account may not move, and an inactive rep may own nothing.
2. ``no_active_reps``: accounts to place and not one active rep.
3. ``team_without_reps`` / ``team_without_active_reps`` / ``region_without_reps``: the policy keeps
   accounts in their team (region) and a team (region) with accounts has no rep who may take them.
4. ``fixed_over_capacity`` / ``fixed_over_value_capacity``: a rep's pinned accounts (and dormant
   accounts held with their owner) already exceed the rep's capacity.
5. ``capacity_short``: the min cut of the flow — these accounts need more room than the reps they
   may go to have — with the shortfall per team.
6. ``value_capacity_short``: the accounts' expected value does not fit the value capacities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kokyaku.domain.assignment.flow import FlowOutcome
from kokyaku.domain.assignment.inputs import NO_CODE, IntArray, Problem
from kokyaku.domain.assignment.network import fixed_load
from kokyaku.domain.assignment.value import fixed_value

REASONS: tuple[str, ...] = (
    "pinned_to_inactive_rep",
    "no_active_reps",
    "team_without_reps",
    "team_without_active_reps",
    "region_without_reps",
    "fixed_over_capacity",
    "fixed_over_value_capacity",
    "capacity_short",
    "value_capacity_short",
    "time_limit",
    "value_not_found",
)


@dataclass(frozen=True)
class Infeasibility:
    """Why there is no plan: ``code`` (one of REASONS), an English ``message``, and the numbers.

    ``details`` holds one plain dict per team / rep / region concerned; ``totals`` the overall
    figures (e.g. accounts, capacity, shortfall). Both are JSON-ready.
    """

    code: str
    message: str
    details: tuple[Mapping[str, Any], ...] = ()
    totals: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "details": [{k: _json(v) for k, v in d.items()} for d in self.details],
            "totals": {k: _json(v) for k, v in self.totals.items()},
        }


def _name(names: tuple[str, ...], code: int) -> str | None:
    return names[code] if code != NO_CODE else None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _json(value: Any) -> Any:
    """Plain Python for JSON: NumPy scalars unwrapped, an infinite capacity (no limit) as None."""
    value = _plain(value)
    return None if isinstance(value, float) and not np.isfinite(value) else value


def precheck(p: Problem) -> Infeasibility | None:
    """Return the first structural reason (1-4 above) why no plan can exist, or None."""
    pinned_owned = p.pinned & (p.owner >= 0)
    bad = pinned_owned & ~p.rep_active[np.maximum(p.owner, 0)]
    if bad.any():
        reps, counts = np.unique(p.owner[bad], return_counts=True)
        details = tuple({"rep": _plain(p.rep_ids[r]), "accounts": int(c)} for r, c in zip(reps, counts, strict=True))
        return Infeasibility(
            "pinned_to_inactive_rep",
            f"{int(bad.sum())} pinned account(s) belong to inactive rep(s): unpin them or reactivate the rep(s)",
            details,
            {"accounts": int(bad.sum())},
        )
    move = p.movable
    if move.any() and not p.rep_active.any():
        return Infeasibility(
            "no_active_reps",
            f"{int(move.sum())} account(s) need an owner and there is no active rep",
            (),
            {"accounts": int(move.sum())},
        )
    if p.keep_team:
        found = _scope_without_reps(p, move, p.team, p.rep_team, p.team_names, "team")
        if found is not None:
            return found
    if p.keep_region:
        found = _scope_without_reps(p, move, p.region, p.rep_region, p.region_names, "region")
        if found is not None:
            return found
    load = fixed_load(p)
    over = p.rep_active & (load > p.rep_capacity)
    if over.any():
        return _fixed_over(p, over, load, p.rep_capacity, "fixed_over_capacity", "accounts")
    value = fixed_value(p)
    over_v = p.rep_active & (value > p.rep_value_capacity)
    if over_v.any():
        return _fixed_over(p, over_v, value, p.rep_value_capacity, "fixed_over_value_capacity", "expected value")
    return None


def _scope_without_reps(
    p: Problem, move: np.ndarray, acc_code: IntArray, rep_code: IntArray, names: tuple[str, ...], kind: str
) -> Infeasibility | None:
    codes, counts = np.unique(acc_code[move & (acc_code != NO_CODE)], return_counts=True)
    missing: list[dict[str, Any]] = []
    idle: list[dict[str, Any]] = []
    for c, k in zip(codes.tolist(), counts.tolist(), strict=True):
        of_scope = rep_code == c
        if kind == "region":
            of_scope |= rep_code == NO_CODE  # a rep without a region covers every region
        if not (of_scope & p.rep_active).any():
            (idle if of_scope.any() else missing).append({kind: names[c], "accounts": k, "inactive_reps": int(of_scope.sum())})
    if kind == "region" and (missing or idle):
        rows = tuple(missing + idle)
        listed = ", ".join(str(r["region"]) for r in rows)
        return Infeasibility(
            "region_without_reps",
            f"no active rep covers region(s) {listed}, and the policy keeps accounts in their region",
            rows,
            {"accounts": int(sum(int(r["accounts"]) for r in rows))},
        )
    if missing:
        listed = ", ".join(str(r["team"]) for r in missing)
        return Infeasibility(
            "team_without_reps",
            f"team(s) {listed} have accounts but no rep, and the policy keeps accounts in their team",
            tuple({"team": r["team"], "accounts": r["accounts"]} for r in missing),
            {"accounts": int(sum(int(r["accounts"]) for r in missing))},
        )
    if idle:
        listed = ", ".join(str(r["team"]) for r in idle)
        return Infeasibility(
            "team_without_active_reps",
            f"team(s) {listed} have accounts but no active rep, and the policy keeps accounts in their team",
            tuple(idle),
            {"accounts": int(sum(int(r["accounts"]) for r in idle))},
        )
    return None


def _fixed_over(p: Problem, over: np.ndarray, load: np.ndarray, cap: np.ndarray, code: str, what: str) -> Infeasibility:
    pinned = np.bincount(p.owner[p.pinned & (p.owner >= 0)], minlength=p.m)
    held = np.bincount(p.owner[p.held], minlength=p.m)
    details = tuple(
        {
            "rep": _plain(p.rep_ids[r]),
            "pinned": int(pinned[r]),
            "dormant_held": int(held[r]),
            "load": float(load[r]) if code.endswith("value_capacity") else int(load[r]),
            "capacity": float(cap[r]) if code.endswith("value_capacity") else int(cap[r]),
        }
        for r in np.flatnonzero(over)
    )
    return Infeasibility(
        code,
        f"the accounts that may not move (pinned, or dormant and held with their owner) exceed the {what} capacity of "
        f"{len(details)} rep(s)",
        details,
        {"reps": len(details)},
    )


def _per_team(p: Problem, accounts: np.ndarray, capacity: np.ndarray, key: str = "capacity") -> tuple[dict[str, Any], ...]:
    """Accounts (a mask over accounts) and capacity (per rep) summed by team, with each shortfall."""
    acc = pd.Series(p.team[accounts]).value_counts()
    cap = pd.Series(capacity).groupby(p.rep_team).sum()
    teams = sorted(set(acc.index) | set(cap.index[cap > 0]), key=lambda c: (c == NO_CODE, c))
    rows = []
    for t in teams:
        a, c = acc.get(t, 0), cap.get(t, 0)
        rows.append(
            {"team": _name(p.team_names, int(t)), "accounts": _plain(a), key: _plain(c), "shortfall": _plain(max(a - c, 0))}
        )
    return tuple(rows)


def capacity_reason(p: Problem, outcome: FlowOutcome) -> Infeasibility:
    """Explain an infeasible flow through its min cut, with the shortfall per team."""
    net = outcome.network
    assert outcome.short_groups is not None
    assert outcome.short_reps is not None
    in_cut = np.zeros(p.n, dtype=bool)
    placed = net.group_of >= 0
    in_cut[placed] = outcome.short_groups[net.group_of[placed]]
    free = np.where(outcome.short_reps, net.free, 0)
    accounts, capacity = int(in_cut.sum()), int(free.sum())
    scope = " within their team" if p.keep_team else ""
    scope += " and region" if p.keep_region else ""
    return Infeasibility(
        "capacity_short",
        f"{accounts} account(s) need an owner{scope}, but the active reps who may take them have room for "
        f"{capacity}: {accounts - capacity} short",
        _per_team(p, in_cut, free),
        {"accounts": accounts, "capacity": capacity, "shortfall": accounts - capacity},
    )


def value_reason(p: Problem, *, proven: bool, tried: bool = True) -> Infeasibility:
    """Explain why the expected value does not fit the value capacities.

    ``proven``: no plan exists (the totals, or CP-SAT's proof); otherwise none was found: CP-SAT
    ran out of time (``tried``) or the problem was too large for it and the greedy repair failed.
    """
    move = p.movable
    room = np.where(p.rep_active, p.rep_value_capacity - fixed_value(p), 0.0)
    need, have = float(p.value[move].sum()), float(room.sum())
    details = tuple(
        {**row, "capacity": float(row["capacity"]), "shortfall": float(row["shortfall"])}
        for row in _value_per_team(p, move, room)
    )
    if need > have:
        msg = (
            f"the accounts to place carry {need:,.0f} of expected value, "
            f"but the reps' value capacities leave room for {have:,.0f}"
        )
    elif proven:
        msg = "no plan keeps every rep within both capacities: the accounts' values cannot be packed into the value capacities"
    elif tried:
        msg = "no plan within the value capacities was found in the time allowed"
    else:
        msg = "no plan within the value capacities was found: the greedy repair failed and the problem is too large to search"
    code = "value_capacity_short" if proven or need > have else ("time_limit" if tried else "value_not_found")
    return Infeasibility(
        code,
        msg,
        details,
        {"value": need, "capacity": have, "shortfall": max(need - have, 0.0)},
    )


def _value_per_team(p: Problem, move: np.ndarray, room: np.ndarray) -> list[dict[str, Any]]:
    acc = pd.Series(p.value[move]).groupby(p.team[move]).sum()
    cap = pd.Series(room).groupby(p.rep_team).sum()
    rows = []
    for t in sorted(set(acc.index) | set(cap.index), key=lambda c: (c == NO_CODE, c)):
        a, c = float(acc.get(t, 0.0)), float(cap.get(t, 0.0))
        rows.append({"team": _name(p.team_names, int(t)), "value": a, "capacity": c, "shortfall": max(a - c, 0.0)})
    return rows
