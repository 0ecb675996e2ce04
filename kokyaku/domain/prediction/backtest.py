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

A smaller zone A earns more per account for that reason alone, so :func:`backtest` also compares
zone A with *the same number* of accounts picked by unit price alone (the highest-priced ones):
``"versus_price": {"terciles": r, "same_size": r, "same_size_interval": [lo, hi],
"same_size_per_account": x, "verdict": v}``. ``same_size_interval`` is a 90% bootstrap interval
(accounts resampled, membership kept) of the same-size ratio; ``verdict`` is "clearly_better"
when that interval lies above 1 and the ratio is at least ``1 + CLEAR_MARGIN``, "worse" when the
interval lies below 1, else "not_clearly_better" (the user is told that the probability axis adds
nothing clear to unit price on this data).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError, gettext_noop
from kokyaku.domain.portfolio.criteria import AxisRule, band_axis, resolve_axis

FloatArray = npt.NDArray[np.float64]
ZONE_KEYS: tuple[str, ...] = ("A", "B", "C", "unzoned")
CLEAR_MARGIN = 0.10  # "clearly more": at least 10% more per account than the same number of top-priced accounts
BOOTSTRAP_ROUNDS = 400
BOOTSTRAP_MAX_ACCOUNTS = 20_000  # more accounts in zone A or the top-priced: a seeded sample of them (wider, not narrower)
VERDICTS: tuple[str, ...] = ("clearly_better", "not_clearly_better", "worse")


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


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den > 0 else None


def versus_price(zone: npt.ArrayLike, unit_price: npt.ArrayLike, revenue: npt.ArrayLike, *, seed: int = 0) -> dict[str, Any]:
    """Zone A against unit price alone: its terciles, and the same number of top-priced accounts, with a verdict.

    Returns ``{"terciles", "same_size", "same_size_interval", "same_size_per_account", "a_accounts",
    "verdict"}`` (see the module's docstring); ratios are None where a side has no account or no
    revenue, and the verdict is then "not_clearly_better".
    """
    z = np.asarray(zone, dtype=object)
    price = np.asarray(unit_price, dtype=float)
    rev = np.asarray(revenue, dtype=float)
    if not (len(z) == len(price) == len(rev)):
        raise DomainError(f"zones ({len(z)}), unit prices ({len(price)}) and revenue ({len(rev)}) differ in length")
    in_a = z == "A"
    n_a = int(in_a.sum())
    terciles = price_only_zones(price) == "A"
    top = np.zeros(len(price), dtype=bool)
    if n_a:  # the n_a highest unit prices (unpriced last; ties in the given order)
        top[np.argsort(-np.nan_to_num(price, nan=-np.inf), kind="stable")[:n_a]] = True
    a_mean = float(rev[in_a].mean()) if n_a else 0.0
    t_mean = float(rev[terciles].mean()) if terciles.any() else 0.0
    s_mean = float(rev[top].mean()) if n_a else 0.0
    same = _ratio(a_mean, s_mean)
    interval: list[float] | None = None
    if same is not None:
        rng = np.random.default_rng(seed)
        # Poisson weights are independent per account, so only zone A's and the top-priced accounts matter.
        keep = np.flatnonzero(in_a | top)
        if len(keep) > BOOTSTRAP_MAX_ACCOUNTS:
            keep = np.sort(rng.choice(keep, BOOTSTRAP_MAX_ACCOUNTS, replace=False))
        ra, rt = rev[keep] * in_a[keep], rev[keep] * top[keep]
        ia, it = in_a[keep].astype(float), top[keep].astype(float)
        ratios = []
        for _ in range(0, BOOTSTRAP_ROUNDS, 50):  # Poisson bootstrap, 50 rounds at a time
            w = rng.poisson(1.0, size=(50, len(keep))).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios.append(((w @ ra) / (w @ ia)) / ((w @ rt) / (w @ it)))
        r = np.concatenate(ratios)
        r = r[np.isfinite(r)]
        if r.size:
            interval = [round(float(np.quantile(r, 0.05)), 4), round(float(np.quantile(r, 0.95)), 4)]
    verdict = "not_clearly_better"
    if same is not None and interval is not None:
        if interval[0] > 1.0 and same >= 1.0 + CLEAR_MARGIN:
            verdict = "clearly_better"
        elif interval[1] < 1.0:
            verdict = "worse"
    return {
        "terciles": _ratio(a_mean, t_mean) if n_a else None,
        "same_size": same,
        "same_size_interval": interval,
        "same_size_per_account": round(s_mean, 2) if n_a else None,
        "a_accounts": n_a,
        "verdict": verdict,
    }


def backtest(portfolio: pd.DataFrame, deals: pd.DataFrame, *, as_of: date, horizon_months: int = 6) -> dict[str, Any]:
    """Compare a portfolio scored as of ``as_of`` with the won revenue of the next ``horizon_months``.

    ``portfolio`` is :func:`~kokyaku.domain.portfolio.pipeline.compute_portfolio`'s frame (at
    least ``account_id``, ``unit_price``, ``zone``); ``deals`` the whole deal table, later deals
    included (they are the outcome).
    """
    if horizon_months < 1:
        raise DomainError.of(gettext_noop("the horizon must be at least one month, got %(months)s"), months=horizon_months)
    missing = [c for c in ("account_id", "unit_price", "zone") if c not in portfolio.columns]
    if missing:
        raise DomainError(f"portfolio: missing column(s) {', '.join(missing)}")
    start = (pd.Timestamp(as_of) + pd.Timedelta(days=1)).date()
    end = (pd.Timestamp(start) + pd.DateOffset(months=horizon_months) - pd.Timedelta(days=1)).date()
    revenue = later_revenue(portfolio["account_id"].to_numpy(), deals, start=start, end=end)
    out = zone_summary(portfolio["zone"].to_numpy(), revenue)
    out["price_only"] = zone_summary(price_only_zones(portfolio["unit_price"].to_numpy()), revenue)
    out["versus_price"] = versus_price(portfolio["zone"].to_numpy(), portfolio["unit_price"].to_numpy(), revenue)
    out.update(as_of=as_of.isoformat(), start=start.isoformat(), end=end.isoformat(), horizon_months=horizon_months)
    return out
