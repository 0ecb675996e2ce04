"""What a plan reads from the database: the accounts and reps frames of the domain core, and their fingerprint.

Two queries (accounts with their latest snapshot row, pin and open release; reps), read with
:func:`kokyaku.lib.bulk.read_frame` (COPY on PostgreSQL). The fingerprint hashes every column the
plan depends on, plus the snapshot and policy version: applying a plan recomputes it and refuses
when anything changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kokyaku.assignment.models import PolicyVersion
from kokyaku.domain.assignment import AssignmentPolicy
from kokyaku.lib.bulk import read_frame
from kokyaku.portfolio.selectors import snapshot_latest

ACCOUNTS_SQL = """
SELECT a.id, a.owner_id, a.buyer_type, a.region, r.zone, r.lifecycle, r.expected_value,
       CASE WHEN p.id IS NULL THEN 0 ELSE 1 END, CASE WHEN rel.id IS NULL THEN 0 ELSE 1 END
FROM crm_account a
LEFT JOIN portfolio_snapshotrow r ON r.account_id = a.id AND r.snapshot_id = %s
LEFT JOIN assignment_accountpin p ON p.account_id = a.id
LEFT JOIN assignment_accountrelease rel ON rel.account_id = a.id AND rel.withdrawn_at IS NULL AND rel.resolved_at IS NULL
ORDER BY a.id
"""
ACCOUNT_NAMES = ["account_id", "owner_id", "buyer_type", "region", "zone", "lifecycle", "expected_value", "pinned", "released"]
# What the fingerprint covers: the snapshot's rows are never edited, so its id stands for them.
STATE_SQL = """
SELECT a.id, a.owner_id, a.buyer_type, a.region,
       CASE WHEN p.id IS NULL THEN 0 ELSE 1 END, CASE WHEN rel.id IS NULL THEN 0 ELSE 1 END
FROM crm_account a
LEFT JOIN assignment_accountpin p ON p.account_id = a.id
LEFT JOIN assignment_accountrelease rel ON rel.account_id = a.id AND rel.withdrawn_at IS NULL AND rel.resolved_at IS NULL
ORDER BY a.id
"""
STATE_NAMES = ["account_id", "owner_id", "buyer_type", "region", "pinned", "released"]
REPS_SQL = (
    "SELECT r.id, r.tier, r.capacity, r.active, t.name FROM crm_rep r LEFT JOIN crm_team t ON t.id = r.team_id ORDER BY r.id"
)
REP_NAMES = ["rep_id", "tier", "capacity", "active", "team"]
RELEASES_SQL = (
    "SELECT account_id, rep_id FROM assignment_accountrelease "
    "WHERE withdrawn_at IS NULL AND resolved_at IS NULL AND rep_id IS NOT NULL ORDER BY account_id"
)


@dataclass(frozen=True)
class PlanInputs:
    """The two frames the domain core plans on, the policy, and what identifies the data they hold."""

    accounts: pd.DataFrame
    reps: pd.DataFrame
    policy: AssignmentPolicy
    policy_version: PolicyVersion | None
    snapshot_id: int | None
    fingerprint: str


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str)


def _ids(series: pd.Series) -> pd.Series:
    """Integer ids as Python ints, empty as None (the domain's "no owner")."""
    values = pd.to_numeric(series, errors="coerce")
    out = pd.Series(values.astype("Int64").astype(object), index=series.index)
    return out.where(values.notna(), None)


def _accounts(frame: pd.DataFrame) -> pd.DataFrame:
    frame["account_id"] = frame["account_id"].astype(np.int64)
    frame["owner_id"] = _ids(frame["owner_id"])
    for column in ("buyer_type", "region", "zone", "lifecycle"):
        if column in frame.columns:
            frame[column] = _text(frame[column])
    frame["pinned"] = frame["pinned"].astype(int).astype(bool)
    frame["released"] = frame["released"].astype(int).astype(bool)
    return frame


def _reps(version: PolicyVersion | None) -> pd.DataFrame:
    reps = read_frame(REPS_SQL, [], REP_NAMES)
    reps["rep_id"] = reps["rep_id"].astype(np.int64)
    reps["capacity"] = reps["capacity"].astype(np.int64)
    reps["active"] = reps["active"].map(lambda v: v in (True, 1, "t", "true", "True")).astype(bool)
    reps["team"] = _text(reps["team"])
    reps["tier"] = _text(reps["tier"])
    caps = version.value_capacities if version is not None else {}
    reps["value_capacity"] = [float(caps[str(r)]) if str(r) in caps else np.nan for r in reps["rep_id"]]
    return reps


def fingerprint(accounts: pd.DataFrame, reps: pd.DataFrame, *, snapshot_id: int | None, version_id: int | None) -> str:
    """A SHA-256 of the accounts' state (owner, buyer type, region, pin, release), the reps, the snapshot, the policy version."""
    digest = hashlib.sha256(f"{snapshot_id}|{version_id}|{len(accounts)}|{len(reps)}".encode())
    state = accounts[STATE_NAMES].copy()
    state["owner_id"] = pd.to_numeric(state["owner_id"], errors="coerce").astype(float)
    digest.update(pd.util.hash_pandas_object(state, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(reps.astype(str), index=False).to_numpy().tobytes())
    return digest.hexdigest()


def current_fingerprint(version: PolicyVersion | None) -> str:
    """The fingerprint of the data as it is now (what applying a plan compares), without the snapshot's rows."""
    snapshot = snapshot_latest()
    accounts = _accounts(read_frame(STATE_SQL, [], STATE_NAMES))
    return fingerprint(
        accounts, _reps(version), snapshot_id=snapshot.pk if snapshot else None, version_id=version.pk if version else None
    )


def releases_open() -> pd.DataFrame:
    """Every open release (``account_id``, ``rep_id``: who released it), in one query.

    Releases are deliberate acts of strong reps, so the table stays small. The follow-up queue reads
    it (``kokyaku.followups.services``: a dormant or at-risk account its strong rep released goes to
    the developing reps); that import runs followups -> assignment, never back.
    """
    frame = read_frame(RELEASES_SQL, [], ["account_id", "rep_id"])
    return frame.astype({"account_id": np.int64, "rep_id": np.int64})


def plan_inputs(version: PolicyVersion | None) -> PlanInputs:
    """Read the accounts and reps as the domain core wants them, under ``version`` (None: the default policy)."""
    snapshot = snapshot_latest()
    snapshot_id = snapshot.pk if snapshot is not None else None
    accounts = _accounts(read_frame(ACCOUNTS_SQL, [snapshot_id if snapshot_id is not None else -1], ACCOUNT_NAMES))
    accounts["expected_value"] = pd.to_numeric(accounts["expected_value"], errors="coerce").astype(float)
    reps = _reps(version)
    policy = version.to_policy() if version is not None else AssignmentPolicy()
    version_id = version.pk if version is not None else None
    return PlanInputs(
        accounts=accounts,
        reps=reps,
        policy=policy,
        policy_version=version,
        snapshot_id=snapshot_id,
        fingerprint=fingerprint(accounts, reps, snapshot_id=snapshot_id, version_id=version_id),
    )
