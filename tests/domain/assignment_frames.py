"""Small hand-made accounts and reps frames for the assignment tests, and an independent scorer."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pandas as pd

from kokyaku.domain.assignment import TERM_TIERS, AssignmentPolicy


def rep(
    rep_id: str,
    tier: str,
    capacity: int,
    *,
    team: str = "T",
    active: bool = True,
    region: str = "",
    value_capacity: float | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {"rep_id": rep_id, "tier": tier, "capacity": capacity, "active": active, "team": team, "region": region}
    row["value_capacity"] = value_capacity
    return row


def acc(
    account_id: str,
    owner: str | None,
    buyer_type: str = "unknown",
    *,
    zone: str = "",
    lifecycle: str = "active",
    released: bool = False,
    pinned: bool = False,
    value: float = 0.0,
    region: str = "",
    team: str = "",
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "owner_id": owner,
        "buyer_type": buyer_type,
        "zone": zone,
        "lifecycle": lifecycle,
        "released": released,
        "pinned": pinned,
        "expected_value": value,
        "region": region,
        "team": team,
    }


def frames(accounts: Sequence[dict[str, Any]], reps: Sequence[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(list(accounts)), pd.DataFrame(list(reps))


def owners(plan: Any) -> dict[str, Any]:
    return dict(zip(plan.accounts["account_id"], plan.accounts["owner_after"], strict=True))


# -- an independent statement of the problem, for brute force ---------------------------------------


def terms_of(a: dict[str, Any]) -> list[str]:
    """The policy terms that apply to an account, read straight from its row."""
    out = []
    if a["released"]:
        out.append("released")
    if a["buyer_type"] in ("pragmatist", "conservative", "visionary", "skeptic"):
        out.append(a["buyer_type"])
    if a["zone"] == "A":
        out.append("zone_a")
    if a["lifecycle"] == "prospect":
        out.append("prospect")
    return out


def brute_force(accounts: Sequence[dict[str, Any]], reps: Sequence[dict[str, Any]], policy: AssignmentPolicy) -> float:
    """Return the best policy score over every assignment that keeps the rules.

    Written from the policy's definition, not from the optimiser's code: each movable account may
    go to any active rep in its team (its owner's team) with room; the score adds each applying
    term's weight when the rep's tier is the term's, plus continuity for keeping an active owner.
    Returns -inf when no assignment keeps the rules.
    """
    by_id = {r["rep_id"]: r for r in reps}

    def held(a: dict[str, Any]) -> bool:
        o = by_id.get(a["owner_id"])
        stays = (policy.dormant_follow_up and a["lifecycle"] == "dormant" and not a["released"]) or a["lifecycle"] == "churned"
        return stays and not a["pinned"] and o is not None and o["active"]

    fixed = [a for a in accounts if a["pinned"] or held(a)]
    movable = [a for a in accounts if not (a["pinned"] or held(a))]

    def team_of(a: dict[str, Any]) -> str:
        if a["team"]:
            return str(a["team"])
        o = by_id.get(a["owner_id"])
        return str(o["team"]) if o is not None else ""

    def options(a: dict[str, Any]) -> list[str]:
        out = []
        for r in reps:
            if not r["active"]:
                continue
            if policy.keep_team and team_of(a) and r["team"] != team_of(a):
                continue
            if policy.keep_region and a["region"] and r["region"] and r["region"] != a["region"]:
                continue
            out.append(r["rep_id"])
        return out

    def score(a: dict[str, Any], r: str) -> float:
        tier = by_id[r]["tier"]
        s = sum(policy.weights[t] for t in terms_of(a) if TERM_TIERS[t] == tier)
        if a["owner_id"] == r and by_id[r]["active"]:
            s += policy.continuity
        return s

    best = float("-inf")
    for combo in itertools.product(*(options(a) for a in movable)):
        count = {r["rep_id"]: 0 for r in reps}
        value = {r["rep_id"]: 0.0 for r in reps}
        for a in fixed:
            if a["owner_id"] is not None:
                count[a["owner_id"]] += 1
                value[a["owner_id"]] += a["expected_value"]
        for a, r in zip(movable, combo, strict=True):
            count[r] += 1
            value[r] += a["expected_value"]
        ok = all(
            count[r["rep_id"]] <= r["capacity"] and (r["value_capacity"] is None or value[r["rep_id"]] <= r["value_capacity"])
            for r in reps
            if r["active"]
        )
        ok = ok and all(count[r["rep_id"]] == 0 for r in reps if not r["active"])
        if not ok:
            continue
        best = max(best, round(sum(score(a, r) for a, r in zip(movable, combo, strict=True)), 6))
    return best


def score_of(
    accounts: Sequence[dict[str, Any]], reps: Sequence[dict[str, Any]], policy: AssignmentPolicy, owner: dict[str, Any]
) -> float:
    """Score a plan's owners with the same independent rules as :func:`brute_force`."""
    by_id = {r["rep_id"]: r for r in reps}
    total = 0.0
    for a in accounts:
        o = by_id.get(a["owner_id"])
        stays = (policy.dormant_follow_up and a["lifecycle"] == "dormant" and not a["released"]) or a["lifecycle"] == "churned"
        is_held = stays and o is not None and o["active"]
        if a["pinned"] or (is_held and not a["pinned"]):
            continue
        r = owner[a["account_id"]]
        tier = by_id[r]["tier"]
        total += sum(policy.weights[t] for t in terms_of(a) if TERM_TIERS[t] == tier)
        if a["owner_id"] == r and by_id[r]["active"]:
            total += policy.continuity
    return round(total, 6)
