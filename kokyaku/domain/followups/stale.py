"""Stale deals: open deals by the days since anything happened on them (7 / 30 / 90, as Japanese SFA colours them)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.days import day_number, day_numbers
from kokyaku.domain.errors import DomainError

STALE_LEVELS: tuple[int, ...] = (7, 30, 90)
OPEN_DEAL_COLUMNS: tuple[str, ...] = ("deal_id", "account_id", "opened_on")
ACTIVITY_COLUMNS: tuple[str, ...] = ("account_id", "deal_id", "occurred_on")


def _latest(keys: npt.NDArray[np.int64], days: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
    """The largest day per key position 0..size-1 (NaN where none), without a group-by."""
    out = np.full(size, -np.inf)
    np.maximum.at(out, keys, days)
    out[np.isinf(out)] = np.nan
    return out


def _check(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DomainError(f"{what}: missing column(s) {', '.join(missing)}")


def stale_deals(
    open_deals: pd.DataFrame,
    activities: pd.DataFrame,
    *,
    as_of: date,
    levels: tuple[int, ...] = STALE_LEVELS,
    account_activities: bool = True,
) -> pd.DataFrame:
    """Return every open deal with its last activity, the days idle since, and its stale level.

    ``open_deals`` has :data:`OPEN_DEAL_COLUMNS` (``opened_on`` datetime64), ``activities``
    :data:`ACTIVITY_COLUMNS` (``deal_id`` NaN for an activity logged on the account only,
    ``occurred_on`` the local day, datetime64). A deal's last activity is the latest of its opening
    day, its own activities and, with ``account_activities``, the activities logged on its account
    without a deal (a visit to the customer touches its open deals); activities after ``as_of``
    are ignored. ``stale_level`` is the largest of ``levels`` that the idle days reach, 0 when
    fresher. Same order as ``open_deals``; columns ``deal_id``, ``last_activity_on``,
    ``idle_days``, ``stale_level``.
    """
    _check(open_deals, OPEN_DEAL_COLUMNS, "open deals")
    _check(activities, ACTIVITY_COLUMNS, "activities")
    if not levels or any(b <= a for a, b in pairwise(levels)) or levels[0] < 1:
        raise DomainError(f"stale levels must be increasing whole days of at least 1, got {levels}")
    if bool(open_deals["opened_on"].isna().any()):
        raise DomainError("open deals: every deal needs its opening date (opened_on)")
    today = day_number(as_of)
    deal_idx = pd.Index(open_deals["deal_id"].to_numpy())
    if not deal_idx.is_unique:
        raise DomainError("open deals: deal ids must be unique")
    size = len(deal_idx)
    last = day_numbers(open_deals["opened_on"])

    act_day = day_numbers(activities["occurred_on"])
    seen = np.isfinite(act_day) & (act_day <= today)
    deal_of = pd.to_numeric(activities["deal_id"]).to_numpy(dtype=float)
    on_deal = seen & np.isfinite(deal_of)
    pos = deal_idx.get_indexer(pd.Index(deal_of[on_deal].astype(np.int64)))  # int keys: the float lookup is 5x slower
    mine = pos >= 0
    last = np.fmax(last, _latest(pos[mine], act_day[on_deal][mine], size))
    if account_activities:
        on_account = seen & ~np.isfinite(deal_of)
        account_idx = pd.Index(pd.unique(open_deals["account_id"].to_numpy()))
        apos = account_idx.get_indexer(activities["account_id"].to_numpy()[on_account])
        known = apos >= 0
        per_account = _latest(apos[known], act_day[on_account][known], len(account_idx))
        last = np.fmax(last, per_account[account_idx.get_indexer(open_deals["account_id"].to_numpy())])

    idle = np.maximum(today - last, 0.0)
    bounds = np.asarray(levels, dtype=float)
    level = np.r_[0, bounds].astype(np.int64)[np.searchsorted(bounds, idle, side="right")]
    return pd.DataFrame(
        {
            "deal_id": deal_idx.to_numpy(),
            "last_activity_on": pd.to_datetime(last, unit="D"),
            "idle_days": idle.astype(np.int64),
            "stale_level": level,
        }
    )
