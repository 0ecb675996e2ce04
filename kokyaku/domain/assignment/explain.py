"""What a plan does and why: the reason for every move, loads before and after, the policy fit.

Every move gets one reason code (the UI translates it), the first that applies:

- ``unowned``: the account had no owner;
- ``inactive_owner``: its owner is inactive (inactive reps get nothing);
- ``out_of_scope``: its owner is outside its team / region while the policy keeps it there;
- a policy term (``released``, ``pragmatist``, ``conservative``, ``zone_a``, ``visionary``,
  ``skeptic``, ``prospect``): it moves to the tier it wants, from the other tier; the term is the
  heaviest of that tier's terms that apply to it;
- ``over_capacity`` / ``over_value_capacity``: its owner carried more than the capacity;
- ``rebalance``: it moves without a gain of its own, to free its owner's capacity for accounts the
  policy wants with that owner more (or because continuity weighs nothing).

The *policy fit* is the share of accounts placed where the policy wants them: among the accounts
with a wanted tier (dormant accounts held with their owner are left out: the dormancy rule, not a
tier, places them), those whose owner has that tier.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.assignment.inputs import NO_CODE, BoolArray, IntArray, Problem
from kokyaku.domain.assignment.network import scope_ok
from kokyaku.domain.assignment.policy import TERMS, TIERS

MOVE_REASONS: tuple[str, ...] = (
    "unowned",
    "inactive_owner",
    "out_of_scope",
    *TERMS,
    "over_capacity",
    "over_value_capacity",
    "rebalance",
)


REASON_TABLE: npt.NDArray[np.object_] = np.asarray(("", *MOVE_REASONS), dtype=object)
_CODE = {r: i for i, r in enumerate(REASON_TABLE)}
TERM_OFFSET = _CODE[TERMS[0]]


def counted(p: Problem) -> BoolArray:
    """The accounts the policy fit counts: a wanted tier, and not dormant and held with their owner."""
    out: BoolArray = (p.wanted >= 0) & ~p.held
    return out


def fits(p: Problem, owner: IntArray) -> BoolArray:
    """Whether each counted account's owner has the tier the policy wants for it."""
    r = np.maximum(owner, 0)
    out: BoolArray = counted(p) & (owner >= 0) & (p.rep_tier[r] == p.wanted)
    return out


def policy_fit(p: Problem, owner: IntArray) -> float:
    """The share of counted accounts placed where the policy wants them (1.0 when none counts)."""
    n = int(counted(p).sum())
    return float(fits(p, owner).sum() / n) if n else 1.0


def moved(p: Problem, owner: IntArray) -> BoolArray:
    out: BoolArray = owner != p.owner
    return out


def follow_up(p: Problem, owner: IntArray, *, enabled: bool) -> BoolArray:
    """Dormant accounts that no active strong rep covers after the plan: the follow-up queue."""
    if not enabled:
        return np.zeros(p.n, dtype=bool)
    r = np.maximum(owner, 0)
    covered = (owner >= 0) & p.rep_active[r] & (p.rep_tier[r] == 0)
    out: BoolArray = p.dormant & ~covered
    return out


def loads(p: Problem, owner: IntArray) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Accounts and expected value per rep."""
    owned = owner >= 0
    count = np.bincount(owner[owned], minlength=p.m).astype(np.int64)
    value = np.bincount(owner[owned], weights=p.value[owned], minlength=p.m).astype(np.float64)
    return count, value


def move_reasons(p: Problem, owner: IntArray) -> npt.NDArray[np.object_]:
    """Return the reason code of every move ("" for accounts that stay)."""
    before = p.owner
    b = np.maximum(before, 0)
    a = np.maximum(owner, 0)
    count, value = loads(p, before)
    toward = (p.wanted >= 0) & (p.rep_tier[a] == p.wanted) & (p.rep_tier[b] != p.wanted) & (p.term >= 0)
    # Codes index REASON_TABLE: 0 is "" (stays), then MOVE_REASONS, whose terms sit at TERM_OFFSET.
    code = np.select(
        [
            before < 0,
            ~p.rep_active[b],
            ~scope_ok(p, np.where(before >= 0, before, NO_CODE)),
            toward,
            count[b] > p.rep_capacity[b],
            value[b] > p.rep_value_capacity[b],
        ],
        [1, 2, 3, TERM_OFFSET + np.maximum(p.term, 0), _CODE["over_capacity"], _CODE["over_value_capacity"]],
        default=_CODE["rebalance"],
    )
    code[~moved(p, owner)] = 0
    reason: npt.NDArray[np.object_] = REASON_TABLE[code]
    return reason


def _ids(p: Problem, owner: IntArray) -> npt.NDArray[np.object_]:
    ids = p.rep_ids.astype(object)[np.maximum(owner, 0)]
    ids[owner < 0] = None
    return ids


def account_table(p: Problem, owner: IntArray, *, follow_up_enabled: bool) -> pd.DataFrame:
    """One row per account: owners before / after, the move's reason, wanted tier, fit, follow-up."""
    wanted = np.where(p.wanted >= 0, np.asarray(TIERS, dtype=object)[np.maximum(p.wanted, 0)], "")
    term = np.where(p.term >= 0, np.asarray(TERMS, dtype=object)[np.maximum(p.term, 0)], "")
    return pd.DataFrame(
        {
            "account_id": p.account_ids,
            # object columns, so that "no owner" stays None (pandas 3 would make a str column with NaN)
            "owner_before": pd.Series(_ids(p, p.owner), dtype=object),
            "owner_after": pd.Series(_ids(p, owner), dtype=object),
            "moved": moved(p, owner),
            "reason": move_reasons(p, owner),
            "wanted_tier": wanted,
            "term": term,
            "counted": counted(p),
            "fit": fits(p, owner),
            "follow_up": follow_up(p, owner, enabled=follow_up_enabled),
            "pinned": p.pinned,
        }
    )


def rep_table(p: Problem, owner: IntArray) -> pd.DataFrame:
    """One row per rep: capacities, accounts and expected value before and after, moves in and out."""
    count_before, value_before = loads(p, p.owner)
    count_after, value_after = loads(p, owner)
    mv = moved(p, owner)
    moved_in = np.bincount(owner[mv & (owner >= 0)], minlength=p.m)
    moved_out = np.bincount(p.owner[mv & (p.owner >= 0)], minlength=p.m)
    return pd.DataFrame(
        {
            "rep_id": p.rep_ids,
            "tier": np.asarray(TIERS, dtype=object)[p.rep_tier],
            "active": p.rep_active,
            "capacity": p.rep_capacity,
            "value_capacity": np.where(np.isfinite(p.rep_value_capacity), p.rep_value_capacity, np.nan),
            "accounts_before": count_before,
            "accounts_after": count_after,
            "value_before": value_before,
            "value_after": value_after,
            "moved_in": moved_in.astype(np.int64),
            "moved_out": moved_out.astype(np.int64),
            "fit_after": np.bincount(owner[fits(p, owner)], minlength=p.m).astype(np.int64),
        }
    )
