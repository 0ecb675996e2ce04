"""What each account did, as numbers the buyer-type suggestion reads: one call for the whole portfolio.

Inputs are data frames (one row per record), never the recorded buyer type:

- ``deals``: ``account_id``, ``status`` ("open" / "won" / "lost"), ``product`` (str, may be empty),
  ``opened_on`` and ``closed_on`` (datetime64; NaT while open);
- ``products``: ``product`` (the name deals carry), ``launched_on`` (datetime64; NaT when unknown:
  never new), ``service`` (bool: a risk-reducing add-on or maintenance service, 保守・教育);
- ``key_persons``: ``account_id`` (one row per person known);
- ``objections``: ``account_id``, ``date``.

Everything dated after ``as_of`` is left out, and a deal closed after ``as_of`` counts as open
then, so a suggestion rebuilt for a past day reads only what was known on it. A won or lost deal
without a close date is taken to have closed the day it opened (as the portfolio's measures do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError

DEAL_COLUMNS: tuple[str, ...] = ("account_id", "status", "product", "opened_on", "closed_on")
PRODUCT_COLUMNS: tuple[str, ...] = ("product", "launched_on", "service")
FEATURES: tuple[str, ...] = (
    "deals",  # deals opened up to as_of
    "closed",  # of which won or lost by as_of
    "won",
    "lost",
    "early_deals",  # deals opened within early_days of their product's launch
    "early_share",  # early_deals / deals
    "service_wins",  # won deals for a service product
    "service_share",  # service_wins / won (0 when nothing won)
    "median_cycle_days",  # median days from opening to close of closed deals (NaN when none)
    "key_persons",
    "objections",
    "objections_per_deal",  # objections / deals (objections / 1 when no deal)
    "lost_share",  # lost / closed (NaN when nothing closed)
)


@dataclass(frozen=True)
class History:
    """What counts as enough history to suggest a type: so many deals opened, so many of them closed."""

    min_deals: int = 2
    min_closed: int = 1

    def enough(self, features: pd.DataFrame) -> npt.NDArray[np.bool_]:
        """Return, per account, whether its history is long enough to suggest a type."""
        out: npt.NDArray[np.bool_] = ((features["deals"] >= self.min_deals) & (features["closed"] >= self.min_closed)).to_numpy()
        return out


def _check(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DomainError(f"{name}: missing column(s) {', '.join(missing)}")


def _count(idx: pd.Index, account: pd.Series | npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Count rows per account, aligned with ``idx`` (0 for accounts without rows)."""
    pos = idx.get_indexer(pd.Index(np.asarray(account)))
    pos = pos[pos >= 0]
    out: npt.NDArray[np.float64] = np.bincount(pos, minlength=len(idx)).astype(np.float64)
    return out


def behaviour_features(
    account_ids: npt.ArrayLike,
    deals: pd.DataFrame,
    *,
    products: pd.DataFrame,
    key_persons: pd.DataFrame,
    objections: pd.DataFrame,
    as_of: date,
    early_days: int = 365,
) -> pd.DataFrame:
    """Return one row per account (index: ``account_ids``) with the columns of :data:`FEATURES`.

    Records of accounts not in ``account_ids`` are ignored. A deal whose product is not in
    ``products`` is neither early nor a service. ``early_days`` is how long a product counts as
    new after its launch.
    """
    _check(deals, DEAL_COLUMNS, "deals")
    _check(products, PRODUCT_COLUMNS, "products")
    _check(key_persons, ("account_id",), "key persons")
    _check(objections, ("account_id", "date"), "objections")
    if early_days < 1:
        raise DomainError(f"early_days must be at least 1, got {early_days}")
    idx = pd.Index(np.asarray(account_ids))
    if not idx.is_unique:
        raise DomainError("account ids must be unique")
    if not pd.Index(products["product"]).is_unique:
        raise DomainError("products: each product must appear once")
    bad = set(map(str, pd.unique(deals["status"]))) - {"open", "won", "lost"}
    if bad:
        raise DomainError(f"deals: unknown status value(s) {sorted(bad)}")
    end = pd.Timestamp(as_of)

    opened = pd.to_datetime(deals["opened_on"]).to_numpy(dtype="datetime64[ns]")
    closed_on = pd.to_datetime(deals["closed_on"]).to_numpy(dtype="datetime64[ns]")
    known = opened <= end.to_datetime64()
    status = deals["status"].to_numpy(dtype=object)
    closed_on = np.where((status != "open") & np.isnat(closed_on), opened, closed_on)
    closed = known & (status != "open") & (closed_on <= end.to_datetime64())
    won = closed & (status == "won")
    lost = closed & (status == "lost")
    pos = idx.get_indexer(pd.Index(deals["account_id"]))
    mine = known & (pos >= 0)

    catalogue = pd.Index(products["product"].astype(str))
    prod = catalogue.get_indexer(pd.Index(deals["product"].fillna("").astype(str)))
    launched = pd.to_datetime(products["launched_on"]).to_numpy(dtype="datetime64[ns]")
    service = products["service"].to_numpy(dtype=bool)
    has_prod = prod >= 0
    launch = np.where(has_prod, launched[np.maximum(prod, 0)], np.datetime64("NaT", "ns"))
    age = np.divide(opened - launch, np.timedelta64(1, "D"))
    with np.errstate(invalid="ignore"):
        early = has_prod & ~np.isnan(age) & (age >= 0) & (age < early_days)
    is_service = has_prod & service[np.maximum(prod, 0)]

    n = len(idx)

    def per_account(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        sel = mine & mask
        out: npt.NDArray[np.float64] = np.bincount(pos[sel], minlength=n).astype(np.float64)
        return out

    f = pd.DataFrame(index=idx)
    f["deals"] = per_account(np.ones(len(pos), dtype=bool))
    f["closed"] = per_account(closed)
    f["won"] = per_account(won)
    f["lost"] = per_account(lost)
    f["early_deals"] = per_account(early)
    f["service_wins"] = per_account(won & is_service)
    cyc = mine & closed
    cycle = pd.Series(((closed_on - opened) / np.timedelta64(1, "D"))[cyc]).groupby(pos[cyc]).median()
    f["median_cycle_days"] = cycle.reindex(np.arange(n)).to_numpy()
    f["key_persons"] = _count(idx, key_persons["account_id"].to_numpy())
    o_date = pd.to_datetime(objections["date"]).to_numpy(dtype="datetime64[ns]")
    f["objections"] = _count(idx, objections["account_id"].to_numpy()[o_date <= end.to_datetime64()])
    with np.errstate(invalid="ignore", divide="ignore"):
        f["early_share"] = np.where(f["deals"] > 0, f["early_deals"] / f["deals"], 0.0)
        f["service_share"] = np.where(f["won"] > 0, f["service_wins"] / f["won"], 0.0)
        f["objections_per_deal"] = f["objections"] / np.maximum(f["deals"], 1.0)
        f["lost_share"] = np.where(f["closed"] > 0, f["lost"] / f["closed"], np.nan)
    return f[list(FEATURES)]
