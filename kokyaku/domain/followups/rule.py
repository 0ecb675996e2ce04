"""Which accounts need a follow-up (フォロー) after a snapshot, who gets it, and which came back.

The rule, for one whole portfolio at a time:

* an account **needs a follow-up** when its lifecycle became "dormant" or "at_risk" at this
  snapshot (the previous one said something else, or had no row for it) and it has no open
  follow-up yet;
* an account a **strong rep released** (gave up on) goes to the **developing reps** of that rep's
  team: the least-loaded active developing rep, ties to the lowest rep id (deterministic);
* otherwise an account whose owner is an active **strong rep** is **covered**: the strong rep
  handles it, no task;
* otherwise an active developing **owner** gets it (the company's default rule);
* an account with no owner, or an inactive one, goes to the developing reps of the owner's team
  as a released one does (the whole company's developing reps when there is no team);
* a team without an active developing rep hands its tasks to the whole company's developing
  reps; with none at all the task is left **unassigned** (assignee NA), never dropped.

A **reactivation** is an account that was dormant at the previous snapshot and bought since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError

NEEDS_FOLLOW_UP: tuple[str, ...] = ("at_risk", "dormant")
DEFAULT_DUE_DAYS: Mapping[str, int] = MappingProxyType({"at_risk": 7, "dormant": 14})
REP_COLUMNS: tuple[str, ...] = ("rep_id", "tier", "team_id", "active")
RELEASE_COLUMNS: tuple[str, ...] = ("account_id", "rep_id")
RULES: tuple[str, ...] = ("owner", "released", "no_owner", "unassigned")
FOLLOW_UP_COLUMNS: tuple[str, ...] = ("account_id", "lifecycle", "assignee_id", "rule", "due_on")
_NO_TEAM = -1


@dataclass(frozen=True)
class FollowUpPlan:
    """The follow-ups to create and the accounts that needed none.

    ``tasks`` has :data:`FOLLOW_UP_COLUMNS`, one row per new follow-up, ordered by account id:
    ``assignee_id`` (nullable Int64: NA when no developing rep could take it), ``rule`` (one of
    :data:`RULES`: why that assignee), ``due_on`` (datetime64). ``covered`` lists the accounts a
    strong rep owns and keeps, ``already_open`` those skipped because a follow-up is still open.
    """

    tasks: pd.DataFrame
    covered: npt.NDArray[np.int64]
    already_open: npt.NDArray[np.int64]


def _ids(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64)


def _check_reps(reps: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REP_COLUMNS if c not in reps.columns]
    if missing:
        raise DomainError(f"reps: missing column(s) {', '.join(missing)}")
    bad = set(pd.unique(reps["tier"].astype(object))) - {"strong", "developing"}
    if bad:
        raise DomainError(f"reps: unknown tier value(s) {sorted(map(str, bad))}")
    if not reps["rep_id"].is_unique:
        raise DomainError("reps: rep ids must be unique")
    out = pd.DataFrame(
        {
            "tier": reps["tier"].astype(object).to_numpy(),
            "team_id": pd.to_numeric(reps["team_id"]).fillna(_NO_TEAM).astype(np.int64).to_numpy(),
            "active": reps["active"].astype(bool).to_numpy(),
        },
        index=pd.Index(reps["rep_id"].astype(np.int64).to_numpy(), name="rep_id"),
    )
    return out


def spread_least_loaded(
    teams: npt.NDArray[np.int64], pool: pd.DataFrame, load: pd.Series
) -> tuple[npt.NDArray[np.float64], pd.Series]:
    """Give each task (in the order given) to the least-loaded rep of its team's pool, ties to the lowest id.

    ``teams`` holds each task's team; ``pool`` the candidate reps (index rep id, column ``team_id``);
    ``load`` each rep's open follow-ups (missing: 0). Equivalent to handing out the tasks one by
    one, but vectorised per team: a rep at load *l* offers the slot (*l*, rep id), then (*l* + 1, rep
    id), ...; the tasks take the lowest slots in that order. Returns the rep id per task (NaN where
    the team has no rep in the pool) and the loads after.
    """
    out = np.full(len(teams), np.nan)
    load = load.reindex(load.index.union(pool.index), fill_value=0).astype(np.int64)
    for team in np.unique(teams):
        where = np.flatnonzero(teams == team)
        reps = pool.index[pool["team_id"].to_numpy() == team].to_numpy(dtype=np.int64)
        if len(reps) == 0:
            continue
        reps = np.sort(reps)
        levels = load.reindex(reps).fillna(0).to_numpy(dtype=np.int64)
        n = len(where)
        lo, hi = int(levels.min()), int(levels.min()) + n  # at hi the lowest rep alone offers n slots
        while lo < hi:  # the lowest water level that offers n slots
            mid = (lo + hi) // 2
            if int(np.maximum(mid - levels, 0).sum()) >= n:
                hi = mid
            else:
                lo = mid + 1
        slots = np.maximum(lo - levels, 0)
        slot_rep = np.repeat(np.arange(len(reps)), slots)
        first = np.cumsum(slots) - slots
        slot_level = np.repeat(levels, slots) + (np.arange(len(slot_rep)) - np.repeat(first, slots))
        taken = slot_rep[np.lexsort((slot_rep, slot_level))[:n]]
        out[where] = reps[taken]
        counts = np.bincount(taken, minlength=len(reps))
        load.loc[reps] = levels + counts
    return out, load


def follow_ups_due(
    account_ids: npt.ArrayLike,
    *,
    previous: npt.ArrayLike,
    current: npt.ArrayLike,
    owner_ids: npt.ArrayLike,
    reps: pd.DataFrame,
    as_of: date,
    released: pd.DataFrame | None = None,
    open_follow_ups: npt.ArrayLike = (),
    open_load: pd.Series | None = None,
    due_days: Mapping[str, int] = DEFAULT_DUE_DAYS,
) -> FollowUpPlan:
    """Return the follow-ups this snapshot creates: which accounts, for whom, due when.

    ``previous`` and ``current`` are the lifecycles (aligned with ``account_ids``; "" or None
    where the previous snapshot had no row), ``owner_ids`` the owners (NaN / None for none),
    ``reps`` one row per rep with :data:`REP_COLUMNS` (``tier`` "strong" / "developing",
    ``team_id`` NaN for none), ``released`` the accounts strong reps gave up on
    (:data:`RELEASE_COLUMNS`: the account and the rep who released it), ``open_follow_ups`` the
    accounts with a follow-up still open (skipped), ``open_load`` the open follow-ups per rep id
    (the load that the least-loaded choice starts from). A task is due ``due_days[lifecycle]``
    days after ``as_of``. The rule is in this module's docstring.
    """
    ids = _ids(np.asarray(account_ids))
    size = len(ids)
    prev = np.asarray(previous, dtype=object)  # None / "" (no row) differ from every lifecycle: no need to fill
    cur = np.asarray(current, dtype=object)
    owner = np.asarray(pd.to_numeric(pd.Series(owner_ids, dtype=object)), dtype=float)
    if not (len(prev) == len(cur) == len(owner) == size):
        raise DomainError(f"previous, current and owner_ids must have one value per account ({size})")
    if not pd.Index(ids).is_unique:
        raise DomainError("account ids must be unique")
    unknown_due = set(NEEDS_FOLLOW_UP) - set(due_days)
    if unknown_due:
        raise DomainError(f"due_days: missing {sorted(unknown_due)}")
    rep_frame = _check_reps(reps)

    changed = np.isin(cur, NEEDS_FOLLOW_UP) & (prev != cur)
    has_open = np.isin(ids, _ids(open_follow_ups))
    already_open = ids[changed & has_open]
    need = changed & ~has_open

    releaser = np.full(size, np.nan)
    if released is not None and len(released):
        missing = [c for c in RELEASE_COLUMNS if c not in released.columns]
        if missing:
            raise DomainError(f"released: missing column(s) {', '.join(missing)}")
        by_account = released.drop_duplicates("account_id", keep="last").set_index("account_id")["rep_id"]
        releaser = pd.to_numeric(by_account.reindex(ids)).to_numpy(dtype=float)
    is_released = np.isfinite(releaser)

    # one lookup of each owner's rep row (-1: no owner or an unknown rep), then plain takes
    at = rep_frame.index.get_indexer(pd.Index(owner))
    known = at >= 0
    strong_rep = np.append((rep_frame["tier"] == "strong").to_numpy(bool), False)
    active_rep = np.append(rep_frame["active"].to_numpy(bool), False)
    rep_team = np.append(rep_frame["team_id"].to_numpy(np.int64), _NO_TEAM)
    owner_active = active_rep[at]  # index -1 takes the appended "no rep" entry
    owner_strong = strong_rep[at] & known
    owner_team = rep_team[at]
    releaser_team = rep_team[rep_frame.index.get_indexer(pd.Index(releaser))]

    strong_keeps = ~is_released & owner_active & owner_strong
    covered = ids[need & strong_keeps]
    to_owner = need & ~is_released & owner_active & known & ~owner_strong
    to_pool = need & ~strong_keeps & ~to_owner
    rule = np.full(size, "", dtype=object)
    rule[to_owner] = "owner"
    rule[to_pool & is_released] = "released"
    rule[to_pool & ~is_released] = "no_owner"

    assignee = np.full(size, np.nan)
    assignee[to_owner] = owner[to_owner]
    load = (open_load if open_load is not None else pd.Series(dtype=np.int64)).astype(np.int64).copy()
    load = load.add(pd.Series(owner[to_owner]).value_counts(), fill_value=0).astype(np.int64)

    pool = rep_frame.loc[rep_frame["active"] & (rep_frame["tier"] == "developing")]
    pooled = np.flatnonzero(to_pool)
    pooled = pooled[np.argsort(ids[pooled], kind="stable")]  # by account id: the plan does not depend on row order
    team = np.where(is_released, releaser_team, owner_team)[pooled]
    got = np.full(len(pooled), np.nan)
    in_team = team != _NO_TEAM
    got[in_team], load = spread_least_loaded(team[in_team], pool, load)
    left = np.isnan(got)  # no team, or a team without developing reps: the whole company's
    if bool(left.any()):
        got[left], load = spread_least_loaded(np.full(int(left.sum()), _NO_TEAM), pool.assign(team_id=_NO_TEAM), load)
    assignee[pooled] = got
    rule[pooled[np.isnan(got)]] = "unassigned"

    rows = np.flatnonzero(need & ~strong_keeps)
    rows = rows[np.argsort(ids[rows], kind="stable")]
    due = pd.to_datetime(np.full(len(rows), np.datetime64(as_of, "D"))) + pd.to_timedelta(
        pd.Series(cur[rows]).map(dict(due_days)).to_numpy(dtype=float), unit="D"
    )
    tasks = pd.DataFrame(
        {
            "account_id": ids[rows],
            "lifecycle": cur[rows],
            "assignee_id": pd.array(assignee[rows], dtype="Int64"),
            "rule": rule[rows],
            "due_on": due,
        },
        columns=list(FOLLOW_UP_COLUMNS),
    )
    return FollowUpPlan(tasks=tasks, covered=np.sort(covered), already_open=np.sort(already_open))


def reactivations(
    account_ids: npt.ArrayLike,
    previous: npt.ArrayLike,
    deals: pd.DataFrame,
    *,
    since: date,
    as_of: date,
    states: tuple[str, ...] = ("dormant",),
) -> pd.DataFrame:
    """Return the accounts in ``states`` at the previous snapshot (``since``) that bought since.

    A purchase is a won deal closed after ``since`` and on or before ``as_of``. One row per
    account: ``account_id``, ``previous`` (its lifecycle then), ``reactivated_on`` (its first such
    purchase) and ``revenue`` (their amount), ordered by account id. Pass ``states=("dormant",
    "at_risk")`` to also find the at-risk accounts that bought again (their open follow-ups close too).
    """
    if since >= as_of:
        raise DomainError(f"reactivations: since ({since}) must come before as_of ({as_of})")
    ids = _ids(np.asarray(account_ids))
    prev = np.asarray(previous, dtype=object)
    if len(prev) != len(ids):
        raise DomainError(f"previous must have one value per account ({len(ids)})")
    watched = pd.Series(prev[np.isin(prev, states)], index=ids[np.isin(prev, states)])
    closed = deals["closed_on"]
    bought = deals.loc[
        (deals["status"] == "won") & (closed > pd.Timestamp(since)) & (closed <= pd.Timestamp(as_of)),
        ["account_id", "closed_on", "amount"],
    ]
    bought = bought.loc[bought["account_id"].isin(watched.index)]
    per = bought.groupby("account_id").agg(reactivated_on=("closed_on", "min"), revenue=("amount", "sum"))
    out = pd.DataFrame(
        {
            "account_id": per.index.to_numpy(dtype=np.int64),
            "previous": watched.reindex(per.index).to_numpy(dtype=object),
            "reactivated_on": per["reactivated_on"].to_numpy(),
            "revenue": per["revenue"].to_numpy(dtype=float),
        }
    )
    return out.sort_values("account_id", ignore_index=True)


def reactivations_by_month(reactivated_on: pd.Series | npt.ArrayLike) -> pd.Series:
    """Count reactivations per calendar month (a ``Period[M]`` index, months without one left out)."""
    when = pd.to_datetime(pd.Series(reactivated_on))
    counts = when.dt.to_period("M").value_counts().sort_index()
    counts.name = "reactivations"
    return counts
