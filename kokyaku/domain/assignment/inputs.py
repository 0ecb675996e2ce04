"""Read and check the accounts and reps frames, and score every account against the policy.

Accounts (one row each): ``account_id`` (unique), ``owner_id`` (a ``rep_id``, or empty),
``buyer_type`` (visionary / pragmatist / conservative / skeptic / unknown), ``zone`` (A / B / C, or
"" when unzoned), ``lifecycle`` (prospect / new / active / at_risk / dormant / churned, from the portfolio: an
at-risk customer is placed like an active one; a churned one, which said it is leaving, stays with
its owner and is not flagged for follow-up), and
optionally ``released`` and ``pinned`` (booleans), ``expected_value`` (empty counts as 0),
``team`` (default: the owner's team) and ``region``.

Reps (one row each): ``rep_id`` (unique), ``tier`` (strong / developing), ``capacity`` (accounts),
``active``, and optionally ``team``, ``region`` (empty: covers every region) and
``value_capacity`` (the most expected value the rep may carry; empty: no limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.assignment.policy import STRONG, TERM_TIERS, TERMS, TIERS, AssignmentPolicy
from kokyaku.domain.errors import DomainError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

ACCOUNT_COLUMNS: tuple[str, ...] = ("account_id", "owner_id", "buyer_type", "zone", "lifecycle")
ACCOUNT_OPTIONAL: tuple[str, ...] = ("released", "pinned", "expected_value", "team", "region")
REP_COLUMNS: tuple[str, ...] = ("rep_id", "tier", "capacity", "active")
REP_OPTIONAL: tuple[str, ...] = ("team", "region", "value_capacity")
BUYER_TYPES: tuple[str, ...] = ("visionary", "pragmatist", "conservative", "skeptic", "unknown", "")
ZONES: tuple[str, ...] = ("A", "B", "C", "")
LIFECYCLES: tuple[str, ...] = ("prospect", "new", "active", "at_risk", "dormant", "churned", "")
NO_CODE = -1


@dataclass(frozen=True)
class Problem:
    """The checked input as aligned arrays: accounts ``[n]``, reps ``[m]``, scores in hundredths."""

    account_ids: npt.NDArray[Any]
    rep_ids: npt.NDArray[Any]
    owner: IntArray  # rep index, -1 when unowned
    pinned: BoolArray
    held: BoolArray  # dormant with an active owner, not released: stays (covered by a strong owner, else follow-up queue)
    dormant: BoolArray
    tier_score: IntArray  # [n, 2]: what placing the account with a strong / developing rep earns
    wanted: npt.NDArray[np.int8]  # 0 strong, 1 developing, -1 no preference
    term: npt.NDArray[np.int8]  # index in TERMS of the term that decides the wanted tier, -1 none
    value: FloatArray  # expected value, 0 when unknown
    team: IntArray  # index in team_names, -1 none
    region: IntArray  # index in region_names, -1 none
    team_names: tuple[str, ...]
    region_names: tuple[str, ...]
    rep_tier: npt.NDArray[np.int8]  # 0 strong, 1 developing
    rep_capacity: IntArray
    rep_value_capacity: FloatArray  # inf: no limit
    rep_active: BoolArray
    rep_team: IntArray
    rep_region: IntArray  # -1: covers every region
    continuity: int
    keep_team: bool
    keep_region: bool

    @property
    def n(self) -> int:
        return len(self.account_ids)

    @property
    def m(self) -> int:
        return len(self.rep_ids)

    @property
    def movable(self) -> BoolArray:
        """Accounts the optimiser places: neither pinned nor dormant and held with their owner."""
        return ~(self.pinned | self.held)

    @property
    def has_value_capacity(self) -> bool:
        return bool(np.isfinite(self.rep_value_capacity[self.rep_active]).any())

    def allowed(self, team: int, region: int) -> BoolArray:
        """Return which reps may take an account of ``team`` / ``region`` under the scope rules."""
        ok = self.rep_active.copy()
        if self.keep_team and team != NO_CODE:
            ok &= self.rep_team == team
        if self.keep_region and region != NO_CODE:
            ok &= (self.rep_region == region) | (self.rep_region == NO_CODE)
        return ok


def _shown(value: Any) -> str:
    """A value as the error message shows it: repr of the plain Python value (no ``np.int64(...)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DomainError(f"{what}: expected a data frame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DomainError(f"{what}: missing column(s) {', '.join(missing)}")


def _unique_ids(values: pd.Series, what: str, column: str) -> npt.NDArray[Any]:
    if values.isna().any():
        raise DomainError(f"{what}: {column} is empty in row {int(np.flatnonzero(values.isna().to_numpy())[0])}")
    dup = values.duplicated()
    if dup.any():
        raise DomainError(f"{what}: {column} {_shown(values[dup].iloc[0])} appears more than once")
    return values.to_numpy()


def _labels(frame: pd.DataFrame, column: str, allowed: tuple[str, ...], what: str, ids: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values = frame[column].astype(object).where(frame[column].notna(), "").to_numpy(dtype=object)
    bad = ~pd.Series(values).isin(allowed).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        choices = ", ".join(a or '""' for a in allowed)
        raise DomainError(f"{what}: {column} {_shown(values[i])} of {_shown(ids[i])} is not one of {choices}")
    return values


def _flags(frame: pd.DataFrame, column: str, what: str, ids: npt.NDArray[Any]) -> BoolArray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    values = frame[column].to_numpy(dtype=object)
    bad = ~pd.Series(values).isin([True, False]).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DomainError(f"{what}: {column} must be true or false, got {_shown(values[i])} for {_shown(ids[i])}")
    return values.astype(bool)


def _numbers(frame: pd.DataFrame, column: str, what: str, ids: npt.NDArray[Any], *, default: float) -> FloatArray:
    if column not in frame.columns:
        return np.full(len(frame), default)
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & raw.notna().to_numpy() | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DomainError(f"{what}: {column} must be a number of at least 0, got {_shown(raw.iloc[i])} for {_shown(ids[i])}")
    return np.where(np.isnan(values), default, values)


def _names(values: pd.Series | None, size: int) -> npt.NDArray[Any]:
    if values is None:
        return np.full(size, "", dtype=object)
    return values.astype(object).where(values.notna(), "").astype(str).str.strip().to_numpy(dtype=object)


def _codes(labels: npt.NDArray[Any], names: tuple[str, ...]) -> IntArray:
    index = pd.Index(names)
    codes = index.get_indexer(pd.Index(labels)).astype(np.int64)
    codes[labels == ""] = NO_CODE
    return codes


def read_problem(accounts: pd.DataFrame, reps: pd.DataFrame, policy: AssignmentPolicy) -> Problem:
    """Check both frames (naming the row, column and value of the first problem) and score accounts."""
    _require(accounts, ACCOUNT_COLUMNS, "accounts")
    _require(reps, REP_COLUMNS, "reps")
    rep_ids = _unique_ids(reps["rep_id"].reset_index(drop=True), "reps", "rep_id")
    ids = _unique_ids(accounts["account_id"].reset_index(drop=True), "accounts", "account_id")
    accounts = accounts.reset_index(drop=True)
    reps = reps.reset_index(drop=True)

    tier = _labels(reps, "tier", TIERS, "reps", rep_ids)
    capacity = _numbers(reps, "capacity", "reps", rep_ids, default=np.nan)
    if np.isnan(capacity).any() or (capacity != np.round(capacity)).any():
        i = int(np.flatnonzero(np.isnan(capacity) | (capacity != np.round(capacity)))[0])
        raise DomainError(
            f"reps: capacity must be a whole number of accounts, got {_shown(reps['capacity'].iloc[i])} for {_shown(rep_ids[i])}"
        )
    active = _flags(reps, "active", "reps", rep_ids)
    value_capacity = _numbers(reps, "value_capacity", "reps", rep_ids, default=np.inf)

    owner_raw = accounts["owner_id"]
    unowned = owner_raw.isna().to_numpy()
    owner = pd.Index(rep_ids).get_indexer(pd.Index(owner_raw.where(~unowned, None))).astype(np.int64)
    unknown = (owner < 0) & ~unowned
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise DomainError(f"accounts: owner_id {_shown(owner_raw.iloc[i])} of {_shown(ids[i])} is not a rep")
    owner[unowned] = NO_CODE

    buyer = _labels(accounts, "buyer_type", BUYER_TYPES, "accounts", ids)
    zone = _labels(accounts, "zone", ZONES, "accounts", ids)
    life = _labels(accounts, "lifecycle", LIFECYCLES, "accounts", ids)
    released = _flags(accounts, "released", "accounts", ids)
    pinned = _flags(accounts, "pinned", "accounts", ids)
    value = _numbers(accounts, "expected_value", "accounts", ids, default=0.0)

    rep_team_labels = _names(reps["team"] if "team" in reps.columns else None, len(reps))
    rep_region_labels = _names(reps["region"] if "region" in reps.columns else None, len(reps))
    team_labels = _names(accounts["team"] if "team" in accounts.columns else None, len(accounts))
    owned = owner >= 0
    # An account's team is its owner's unless the frame says otherwise.
    inherit = (team_labels == "") & owned
    team_labels[inherit] = rep_team_labels[owner[inherit]]
    region_labels = _names(accounts["region"] if "region" in accounts.columns else None, len(accounts))
    team_names = tuple(sorted((set(rep_team_labels) | set(team_labels)) - {""}))
    region_names = tuple(sorted((set(rep_region_labels) | set(region_labels)) - {""}))

    masks = {
        "released": released,
        "pragmatist": buyer == "pragmatist",
        "conservative": buyer == "conservative",
        "zone_a": zone == "A",
        "visionary": buyer == "visionary",
        "skeptic": buyer == "skeptic",
        "prospect": life == "prospect",
    }
    earned = np.stack([masks[t] * policy.scaled(t) for t in TERMS], axis=1).astype(np.int64)  # [n, terms]
    term_tier = np.array([TIERS.index(TERM_TIERS[t]) for t in TERMS])
    tier_score = np.stack([earned[:, term_tier == k].sum(axis=1) for k in (0, 1)], axis=1)
    wanted = np.where(tier_score[:, 0] > tier_score[:, 1], 0, np.where(tier_score[:, 1] > tier_score[:, 0], 1, NO_CODE)).astype(
        np.int8
    )
    # The deciding term: the heaviest term of the wanted tier (ties: TERMS order, as argmax takes the first).
    of_wanted = np.where(term_tier[None, :] == wanted[:, None], earned, 0)
    term = np.where((wanted >= 0) & (of_wanted.max(axis=1) > 0), of_wanted.argmax(axis=1), NO_CODE).astype(np.int8)

    rep_tier = np.where(tier == STRONG, 0, 1).astype(np.int8)
    dormant = life == "dormant"
    owner_active = owned & active[np.maximum(owner, 0)]
    # A dormant account its strong rep released is not held: "dormant accounts of a strong rep who released them go
    # to developing reps" (issue 13); the optimiser places it like any, the released term wanting a developing rep.
    # A churned one (the customer said it is leaving) stays with its owner and is not flagged for follow-up.
    held = (((policy.dormant_follow_up & dormant) & ~released) | (life == "churned")) & owner_active & ~pinned

    return Problem(
        account_ids=ids,
        rep_ids=rep_ids,
        owner=owner,
        pinned=pinned,
        held=held,
        dormant=dormant,
        tier_score=tier_score,
        wanted=wanted,
        term=term,
        value=value,
        team=_codes(team_labels, team_names),
        region=_codes(region_labels, region_names),
        team_names=team_names,
        region_names=region_names,
        rep_tier=rep_tier,
        rep_capacity=capacity.astype(np.int64),
        rep_value_capacity=value_capacity,
        rep_active=active,
        rep_team=_codes(rep_team_labels, team_names),
        rep_region=_codes(rep_region_labels, region_names),
        continuity=policy.scaled("continuity"),
        keep_team=policy.keep_team,
        keep_region=policy.keep_region,
    )
