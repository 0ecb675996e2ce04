"""Back-test: the zones of a past portfolio against what each account really bought afterwards.

:func:`backtest` returns the shape ``kokyaku backtest --json`` writes::

    {"zones": {"A": {"accounts": n, "revenue": x, "per_account": x}, "B": ..., "C": ..., "unzoned": ...},
     "a_over_c": r, "a_capture": c, "a_share_accounts": s,
     "price_only": {the same for terciles of unit price alone},
     "as_of": ..., "start": ..., "end": ..., "horizon_months": n}

``a_over_c``: zone A's revenue per account over zone C's. ``a_capture``: zone A's share of the
later revenue of every account in the portfolio. ``a_share_accounts``: zone A's share of the
zoned accounts. The one-screen alternative ranks accounts by unit price alone (terciles: high ->
A, mid -> B, low -> C), on the same accounts and the same later revenue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio.criteria import AxisRule, band_axis, resolve_axis

FloatArray = npt.NDArray[np.float64]
ZONE_KEYS: tuple[str, ...] = ("A", "B", "C", "unzoned")


def later_revenue(account_ids: npt.ArrayLike, deals: pd.DataFrame, *, start: date, end: date) -> FloatArray:
    """Return each account's won revenue closed from ``start`` to ``end`` (inclusive); 0 without any."""
    idx = pd.Index(np.asarray(account_ids))
    won = deals.loc[
        (deals["status"] == "won") & (deals["closed_on"] >= pd.Timestamp(start)) & (deals["closed_on"] <= pd.Timestamp(end))
    ]
    total = won["amount"].astype(float).fillna(0.0).groupby(won["account_id"]).sum()
    return np.asarray(total.reindex(idx).fillna(0.0).to_numpy(dtype=float), dtype=np.float64)


def zone_summary(zone: npt.ArrayLike, revenue: npt.ArrayLike) -> dict[str, Any]:
    """Return accounts, revenue and revenue per account per zone, A/C ratio, A's capture and share."""
    z = pd.Series(np.asarray(zone, dtype=object)).replace({"": "unzoned"}).fillna("unzoned")
    rev = np.asarray(revenue, dtype=float)
    if len(z) != len(rev):
        raise DomainError(f"zones ({len(z)}) and revenue ({len(rev)}) differ in length")
    zones: dict[str, dict[str, float | int | None]] = {}
    for key in ZONE_KEYS:
        mask = (z == key).to_numpy()
        n, total = int(mask.sum()), float(rev[mask].sum())
        zones[key] = {"accounts": n, "revenue": round(total, 2), "per_account": round(total / n, 2) if n else None}
    a, c = zones["A"]["per_account"], zones["C"]["per_account"]
    everything = float(rev.sum())
    zoned = sum(int(zones[k]["accounts"] or 0) for k in ("A", "B", "C"))
    return {
        "zones": zones,
        "a_over_c": round(float(a) / float(c), 3) if a is not None and c else None,
        "a_capture": round(float(zones["A"]["revenue"] or 0.0) / everything, 4) if everything else None,
        "a_share_accounts": round(int(zones["A"]["accounts"] or 0) / zoned, 4) if zoned else None,
    }


def price_only_zones(unit_price: npt.ArrayLike, rule: AxisRule | None = None) -> npt.NDArray[np.object_]:
    """Zones from unit price alone: its high / mid / low band is A / B / C (unpriced: unzoned)."""
    price = np.asarray(unit_price, dtype=float)
    rule = rule or AxisRule()
    low, high = resolve_axis(price, rule)
    bands, _note = band_axis(price, np.zeros(len(price)), rule, low, high, "price")
    out: npt.NDArray[np.object_] = (
        pd.Series(bands, dtype=object).map({"high": "A", "mid": "B", "low": "C", "": ""}).to_numpy(dtype=object)
    )
    return out


def backtest(portfolio: pd.DataFrame, deals: pd.DataFrame, *, as_of: date, horizon_months: int = 6) -> dict[str, Any]:
    """Compare a portfolio scored as of ``as_of`` with the won revenue of the next ``horizon_months``.

    ``portfolio`` is :func:`~kokyaku.domain.portfolio.pipeline.compute_portfolio`'s frame (at
    least ``account_id``, ``unit_price``, ``zone``); ``deals`` the whole deal table, later deals
    included (they are the outcome).
    """
    if horizon_months < 1:
        raise DomainError(f"the horizon must be at least one month, got {horizon_months}")
    missing = [c for c in ("account_id", "unit_price", "zone") if c not in portfolio.columns]
    if missing:
        raise DomainError(f"portfolio: missing column(s) {', '.join(missing)}")
    start = (pd.Timestamp(as_of) + pd.Timedelta(days=1)).date()
    end = (pd.Timestamp(start) + pd.DateOffset(months=horizon_months) - pd.Timedelta(days=1)).date()
    revenue = later_revenue(portfolio["account_id"].to_numpy(), deals, start=start, end=end)
    out = zone_summary(portfolio["zone"].to_numpy(), revenue)
    out["price_only"] = zone_summary(price_only_zones(portfolio["unit_price"].to_numpy()), revenue)
    out.update(as_of=as_of.isoformat(), start=start.isoformat(), end=end.isoformat(), horizon_months=horizon_months)
    return out
