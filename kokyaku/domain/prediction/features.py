"""Deal features as they stood on a given day: nothing dated after it is ever read.

Input frames (one row per record; columns beyond those listed are ignored):

``deals``
    ``deal_id``, ``account_id``, ``owner_id`` (rep id, NaN when none), ``product`` (str, "" when
    none), ``status`` "open" / "won" / "lost", ``amount`` (NaN when unknown), ``opened_on`` and
    ``closed_on`` (datetime64, NaT while open).
``accounts`` (optional)
    ``account_id`` and any of ``industry``, ``region``, ``employees``, ``annual_revenue``,
    ``buyer_type``; a column that is absent is a missing value for every account.
``activities`` (optional)
    ``account_id``, ``occurred_on`` (datetime64; a timestamp counts on its day), ``minutes``.
``reps`` (optional)
    ``rep_id``, ``tier``.
``stages`` (optional)
    A stage history: ``deal_id``, ``stage``, ``changed_on``. The CRM keeps only a deal's current
    stage, and a closed deal's stage is its last one ("Closed won", or the stage it was lost at):
    that is the outcome written down, so the stored stage is never a feature. A history says what
    the stage was on a day, and then it is one.

Every deal is seen **at the end of a day** ``at`` (its *view date*): an open deal at the as-of
date; a closed deal, for training, at a seeded random day of its life before the close
(:func:`view_dates`), so the model learns from deals in the state the snapshot will find
open ones in. Only rows dated on or before ``at`` count: activities in the deal's window
(opened .. at), the account's wins and losses closed by ``at``, the stage entered by ``at``. The
deal's own status and close date are never read here. ``tests/domain/test_prediction_features.py``
proves it by scrambling every later row.

The deal's amount, product and owner and the account's attributes are their current values (the
CRM keeps no history of them). Where the amount itself records the outcome (lost deals stored
with amount 0, or amounts filled in only at the close) :func:`screen_leaks` finds it and the
model leaves the amount out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError

# Feature codes, in the order of the feature frame; the UI translates each code.
NUMERIC_FEATURES: tuple[str, ...] = (
    "amount_log",
    "employees_log",
    "revenue_log",
    "age_days",
    "activities",
    "minutes",
    "account_won",
    "account_lost",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("product", "industry", "region", "buyer_type", "owner", "tier", "stage")
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
DEAL_FEATURE_COLUMNS: tuple[str, ...] = (
    "deal_id",
    "account_id",
    "owner_id",
    "product",
    "status",
    "amount",
    "opened_on",
    "closed_on",
)
_ACCOUNT_COLUMNS: tuple[str, ...] = ("industry", "region", "employees", "annual_revenue", "buyer_type")
_DAY = np.timedelta64(1, "D")
_KEY = 1 << 22  # > any span of days we meet (11,000 years): group code * _KEY + day offset is one sortable key
_NAT = np.iinfo(np.int64).min

DayArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CrmFrames:
    """The team's records as the model reads them: deals, and optionally accounts, activities, reps, stages."""

    deals: pd.DataFrame
    accounts: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None
    stages: pd.DataFrame | None = None

    def features(self, deals: pd.DataFrame, *, at: npt.ArrayLike, history: pd.DataFrame | None = None) -> pd.DataFrame:
        """Return :func:`deal_features` of ``deals`` (a subset, or ``deals_as_of``) with these frames."""
        return deal_features(
            deals, at=at, accounts=self.accounts, activities=self.activities, reps=self.reps, stages=self.stages, history=history
        )


def _days(values: Any) -> DayArray:
    """Days since 1970-01-01 as int64 (NaT -> the smallest int64)."""
    arr = np.asarray(pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]"))
    return arr.astype(np.int64)


def _check(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DomainError(f"{name}: missing column(s) {', '.join(missing)}")


def view_dates(deals: pd.DataFrame, *, as_of: Any, random_state: int = 0) -> npt.NDArray[np.datetime64]:
    """Return the day each deal is seen at: open deals at ``as_of``, closed ones in their life.

    A closed deal gets a seeded random day, uniform over opened .. closed - 1 day; one closed the
    day it opened is seen the day before (nothing about it is known yet). ``deals`` should be as
    of ``as_of`` (:func:`~kokyaku.domain.portfolio.measures.deals_as_of`): a deal closed later is open.
    """
    _check(deals, "deals", ("status", "opened_on", "closed_on"))
    opened = _days(deals["opened_on"])
    closed = _days(deals["closed_on"])
    is_closed = (deals["status"] != "open").to_numpy() & (closed != _NAT)
    span = np.where(is_closed, np.maximum(closed - opened, 0), 0)
    u = np.random.default_rng(random_state).random(len(deals))
    at = np.where(span > 0, opened + np.floor(u * span).astype(np.int64), opened - 1)
    end = np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64)
    out: npt.NDArray[np.datetime64] = np.where(is_closed, np.minimum(at, end), end).astype("datetime64[D]")
    return out


def screen_leaks(deals: pd.DataFrame) -> dict[str, str]:
    """Return {feature: reason code} for the features whose values record the outcome.

    ``amount_records_outcome``: the amount is missing or zero on most lost deals and on few won
    ones (Maven's export stores a lost deal's close value as 0). ``amount_set_at_close``: closed
    deals carry amounts but open deals almost never do, so it is written when the deal closes.
    """
    _check(deals, "deals", ("status", "amount"))
    empty = deals["amount"].isna() | (deals["amount"].astype(float) <= 0)
    status = deals["status"]
    out: dict[str, str] = {}
    lost, won, open_ = (status == "lost"), (status == "won"), (status == "open")
    if int(lost.sum()) >= 10 and int(won.sum()) >= 10 and float(empty[lost].mean()) - float(empty[won].mean()) >= 0.5:
        out["amount_log"] = "amount_records_outcome"
    elif int(open_.sum()) >= 10 and float(empty[open_].mean()) >= 0.9 and float(empty[~open_].mean()) <= 0.1:
        out["amount_log"] = "amount_set_at_close"
    return out


def _account_table(deals: pd.DataFrame, accounts: pd.DataFrame | None) -> pd.DataFrame:
    """The account columns per deal (aligned with ``deals``), missing values where unknown."""
    n = len(deals)
    if accounts is None or len(accounts) == 0:
        return pd.DataFrame({c: np.full(n, np.nan, dtype=object) for c in _ACCOUNT_COLUMNS})
    _check(accounts, "accounts", ("account_id",))
    acc = accounts.drop_duplicates("account_id").set_index("account_id")
    pos = acc.index.get_indexer(pd.Index(deals["account_id"].to_numpy()))
    found = pos >= 0
    cols = {}
    for c in _ACCOUNT_COLUMNS:
        col = np.full(n, np.nan, dtype=object)
        if c in acc.columns:
            col[found] = acc[c].to_numpy(dtype=object)[pos[found]]
        cols[c] = col
    return pd.DataFrame(cols)


def _text(values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Categories as strings; None, NaN and "" become None (missing). Vectorised: no Python call per row."""
    s = pd.Series(np.asarray(values, dtype=object))
    missing = s.isna().to_numpy()
    text = s.astype(str).to_numpy(dtype=object)
    text[missing | (text == "")] = None
    return text


def _log(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    x = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        out: npt.NDArray[np.float64] = np.where(x >= 0, np.log1p(np.where(x >= 0, x, 0.0)), np.nan)
    return out


def _count_in(
    group: npt.NDArray[np.int64],
    day: DayArray,
    weight: npt.NDArray[np.float64] | None,
    q_group: npt.NDArray[np.int64],
    lo: DayArray | None,
    hi: DayArray,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Count (and sum ``weight`` over) the events of each query's group dated in [lo, hi] (lo None: ever).

    One sort and two binary searches, whatever the number of groups.
    """
    keep = day != _NAT
    group, day = group[keep], day[keep]
    weight = None if weight is None else weight[keep]
    base = min(int(day.min()) if len(day) else 0, int(hi.min()) if len(hi) else 0) - 1
    keys = group * _KEY + (day - base)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    w = np.zeros(len(keys)) if weight is None else weight[order]
    cum = np.concatenate([[0.0], np.cumsum(w)])
    start_day = np.zeros(len(q_group), dtype=np.int64) if lo is None else np.maximum(lo - base, 0)
    start = np.searchsorted(keys, q_group * _KEY + start_day, side="left")
    stop = np.searchsorted(keys, q_group * _KEY + (hi - base), side="right")
    stop = np.maximum(stop, start)
    return (stop - start).astype(np.int64), cum[stop] - cum[start]


def deal_features(
    deals: pd.DataFrame,
    *,
    at: npt.ArrayLike,
    accounts: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    stages: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the feature frame (columns :data:`FEATURES`, index ``deal_id``) of each deal seen at ``at``.

    ``at`` holds one view date per deal (datetime64; see the module docstring). The account's past
    wins and losses come from every deal of ``history`` (default: ``deals`` itself; give the whole
    deal table when ``deals`` is only the open ones) closed by each deal's view date. Categories
    are strings (None when unknown); counts are whole numbers.
    """
    _check(deals, "deals", DEAL_FEATURE_COLUMNS)
    past = deals if history is None else history
    _check(past, "history", ("account_id", "status", "closed_on"))
    n = len(deals)
    at_days = _days(at)
    if at_days.shape != (n,):
        raise DomainError(f"view dates: need one per deal ({n}), got {at_days.shape}")
    if n and bool((at_days == _NAT).any()):
        raise DomainError("view dates: every deal needs a view date (NaT found)")
    opened = _days(deals["opened_on"])
    if n and bool((opened == _NAT).any()):
        raise DomainError("deals: every deal needs an opened_on date")
    acc_codes, _ = pd.factorize(
        pd.concat(
            [
                deals["account_id"],
                activities["account_id"] if activities is not None else pd.Series([], dtype=object),
                past["account_id"],
            ],
            ignore_index=True,
        )
    )
    deal_acc = acc_codes[:n].astype(np.int64)
    frame: dict[str, Any] = {}
    frame["amount_log"] = _log(deals["amount"])
    acc = _account_table(deals, accounts)
    frame["employees_log"] = _log(acc["employees"])
    frame["revenue_log"] = _log(acc["annual_revenue"])
    frame["age_days"] = np.maximum(at_days - opened, 0).astype(float)

    # Activities of the account in the deal's window, opened .. at.
    if activities is not None and len(activities):
        _check(activities, "activities", ("account_id", "occurred_on", "minutes"))
        act_acc = acc_codes[n : n + len(activities)].astype(np.int64)
        minutes = pd.to_numeric(activities["minutes"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        count, mins = _count_in(act_acc, _days(activities["occurred_on"]), minutes, deal_acc, opened, at_days)
        frame["activities"] = count.astype(float)
        frame["minutes"] = mins
    else:
        frame["activities"] = np.zeros(n)
        frame["minutes"] = np.zeros(n)

    # The account's wins and losses closed by the view date (the deal's own close is later: never counted).
    past_acc = acc_codes[len(acc_codes) - len(past) :].astype(np.int64)
    closed_day = _days(past["closed_on"])
    status = past["status"].to_numpy(dtype=object)
    for code, label in (("account_won", "won"), ("account_lost", "lost")):
        mask = status == label
        count, _ = _count_in(past_acc[mask], closed_day[mask], None, deal_acc, None, at_days)
        frame[code] = count.astype(float)

    frame["product"] = _text(deals["product"])
    frame["industry"] = _text(acc["industry"])
    frame["region"] = _text(acc["region"])
    frame["buyer_type"] = _text(acc["buyer_type"])
    owner = pd.to_numeric(deals["owner_id"], errors="coerce")
    owner_text = owner.round().astype("Int64").astype(str).to_numpy(dtype=object)
    owner_text[owner.isna().to_numpy()] = None
    frame["owner"] = owner_text
    tier = np.full(n, None, dtype=object)
    if reps is not None and len(reps):
        _check(reps, "reps", ("rep_id", "tier"))
        table = reps.drop_duplicates("rep_id").set_index("rep_id")["tier"]
        known = owner.notna().to_numpy()
        pos = table.index.get_indexer(pd.Index(owner.to_numpy()[known]))
        vals = np.full(int(known.sum()), None, dtype=object)
        vals[pos >= 0] = table.to_numpy(dtype=object)[pos[pos >= 0]]
        tier[known] = vals
    frame["tier"] = _text(tier)
    frame["stage"] = _stage_at(deals, at_days, stages)
    out = pd.DataFrame(frame, columns=list(FEATURES))
    out.index = pd.Index(deals["deal_id"].to_numpy(), name="deal_id")
    return out


def _stage_at(deals: pd.DataFrame, at_days: DayArray, stages: pd.DataFrame | None) -> npt.NDArray[np.object_]:
    """The stage each deal was in at the end of its view date, from a stage history (None without one)."""
    n = len(deals)
    out = np.full(n, None, dtype=object)
    if stages is None or len(stages) == 0:
        return out
    _check(stages, "stages", ("deal_id", "stage", "changed_on"))
    codes, _ = pd.factorize(pd.concat([deals["deal_id"], stages["deal_id"]], ignore_index=True))
    d_code, s_code = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    changed = _days(stages["changed_on"])
    keep = changed != _NAT
    s_code, changed = s_code[keep], changed[keep]
    base = min(int(changed.min()) if len(changed) else 0, int(at_days.min()) if n else 0) - 1
    keys = s_code * _KEY + (changed - base)
    order = np.argsort(keys, kind="stable")
    keys, names = keys[order], _text(stages["stage"])[keep][order]
    pos = np.searchsorted(keys, d_code * _KEY + (at_days - base), side="right") - 1
    ok = (pos >= 0) & (keys[np.maximum(pos, 0)] // _KEY == d_code)
    out[ok] = names[pos[ok]]
    return out
