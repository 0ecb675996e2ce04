"""Online Retail: why does the probability axis add so little to unit price, and does a principled change help?

For the portfolio as of 2011-03-31 (the date on which any change is chosen) and as of 2011-06-30
(where it is only confirmed), with six months of later revenue, this prints:

* how the two axes relate: Spearman's rho of unit price with the repeat-purchase probability, and
  of each with the later revenue;
* later revenue per account in each of the nine cells of the grid (default tercile cuts);
* zone A against the same number of top-priced accounts (``versus_price`` of the back-test, with
  its 90% bootstrap interval and verdict) for each candidate probability axis: P(buys in the next
  91 days) (today's), P(buys in the next 182 days) (the back-test's horizon), P(alive) alone, and
  P(alive) x expected purchases in 182 days (BG/NBD's conditional expectation);
* the three-cell zone-A grids containing "high price, high probability", best first;
* the ceiling: the same number of accounts ranked by expected value (unit price x probability)
  and by the revenue they really earned afterwards (perfect foresight).

    .venv/bin/python -m benchmarks.prediction_zone_a_why
"""

from __future__ import annotations

import itertools
import os
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import hyp2f1
from scipy.stats import spearmanr

from benchmarks.prediction_data import retail_frames
from kokyaku.domain.portfolio import CriteriaSpec, compute_portfolio
from kokyaku.domain.portfolio.criteria import BANDS, classify
from kokyaku.domain.prediction import BetaGeoModel, backtest, later_revenue, train_repeat_model, versus_price
from kokyaku.domain.prediction.repeat import rfm_summary

DATES = (date(2011, 3, 31), date(2011, 6, 30))
WEEK = 7.0


def expected_purchases(m: BetaGeoModel, x: np.ndarray, tx: np.ndarray, t: np.ndarray, horizon: float) -> np.ndarray:
    """BG/NBD's E[purchases in the next ``horizon`` units | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
    r, al, a, b = m.r_, m.alpha_, m.a_, m.b_
    z = horizon / (al + t + horizon)
    body = (a + b + x - 1) / (a - 1) * (1 - ((al + t) / (al + t + horizon)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    return np.asarray(body * m.p_alive(x, tx, t), dtype=float)


def verdict(v: dict[str, Any]) -> str:
    lo, hi = v["same_size_interval"] or (float("nan"), float("nan"))
    return f"{v['a_accounts']:>5,} | {v['terciles']:.2f} | {v['same_size']:.2f} ({lo:.2f}-{hi:.2f}) | {v['verdict']}"


def study(deals: pd.DataFrame, as_of: date) -> None:
    known = deals.loc[deals["closed_on"] <= pd.Timestamp(as_of)]
    ids = np.sort(np.asarray(pd.unique(known["account_id"])))
    m = train_repeat_model(deals=known, as_of=as_of)
    rfm = rfm_summary(ids, known, as_of=as_of)
    x, tx, t = (rfm[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
    axes = {
        "P(buys in 91 days) (today's)": m.p_purchase(x, tx, t, horizon=91 / WEEK),
        "P(buys in 182 days)": m.p_purchase(x, tx, t, horizon=182 / WEEK),
        "P(alive)": m.p_alive(x, tx, t),
        "P(alive) x E[purchases in 182 days]": expected_purchases(m, x, tx, t, 182 / WEEK),
    }
    today = axes["P(buys in 91 days) (today's)"]
    base = compute_portfolio(ids, known, as_of=as_of, criteria=CriteriaSpec(), repeat_probability=today)
    out = backtest(base.frame, deals, as_of=as_of)
    revenue = later_revenue(ids, deals, start=date.fromisoformat(out["start"]), end=date.fromisoformat(out["end"]))
    price = base.frame["unit_price"].to_numpy(dtype=float)
    print(f"\n## As of {as_of} (revenue {out['start']} .. {out['end']}); {len(ids):,} customers")
    drop = m.a_ / (m.a_ + m.b_)
    print(f"BG/NBD: r {m.r_:.3f}, alpha {m.alpha_:.2f}, a {m.a_:.4f}, b {m.b_:.1f} (drop-out chance per purchase {drop:.5f})")
    window = (deals["closed_on"] > pd.Timestamp(as_of)) & (deals["closed_on"] <= pd.Timestamp(out["end"]))
    later_days = deals.loc[window]
    actual = later_days.groupby("account_id")["closed_on"].nunique().reindex(ids).fillna(0).to_numpy(dtype=float)
    e182 = axes["P(alive) x E[purchases in 182 days]"]
    rho = spearmanr(e182, actual).statistic
    print(
        f"expected purchase days in 182 days: mean {e182.mean():.2f} (actual {actual.mean():.2f}), Spearman with actual {rho:.2f}"
    )
    print(f"band notes: {base.band_notes_dict()['probability']}")
    print(f"Spearman rho: unit price ~ later revenue {spearmanr(price, revenue).statistic:.2f}")
    print(
        "\n| probability axis | rho with unit price | rho with later revenue | A accounts | A vs price terciles "
        "| A vs same number of top-priced (90% interval) | verdict |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, p in axes.items():
        # quantile cuts use ranks only; an unbounded axis is scaled into [0, 1] without changing its order
        scaled = p / np.nanmax(p) if np.nanmax(p) > 1 else p
        cls = classify(price, scaled, CriteriaSpec())
        v = versus_price(cls.zone, price, revenue)
        rho_p, rho_r = spearmanr(price, p).statistic, spearmanr(p, revenue).statistic
        print(f"| {name} | {rho_p:.2f} | {rho_r:.2f} | " + " | ".join(verdict(v).split(" | ")) + " |")
    cls = classify(price, base.frame["win_probability"].to_numpy(dtype=float), CriteriaSpec())
    cells = pd.DataFrame({"price": cls.price_band, "probability": cls.probability_band, "revenue": revenue})
    table = cells.groupby(["price", "probability"])["revenue"].agg(["size", "mean"])
    print("\nlater revenue per account (accounts) per cell, rows unit price, columns probability:")
    print("| price \\ probability | high | mid | low |\n| --- | ---: | ---: | ---: |")
    for pb in BANDS:
        means, sizes = table["mean"].to_dict(), table["size"].to_dict()
        row = " | ".join(f"{means[(pb, qb)]:,.0f} ({sizes[(pb, qb)]:,})" for qb in BANDS)
        print(f"| {pb} | {row} |")
    cells9 = [(pb, qb) for pb in BANDS for qb in BANDS]
    rows: list[tuple[float, dict[str, Any], list[tuple[str, str]]]] = []
    today_p = base.frame["win_probability"].to_numpy(dtype=float)
    for combo in itertools.combinations([c for c in cells9 if c != ("high", "high")], 2):
        chosen = {("high", "high"), *combo}
        grid = {pb: {qb: ("A" if (pb, qb) in chosen else "C") for qb in BANDS} for pb in BANDS}
        v = versus_price(classify(price, today_p, CriteriaSpec(grid=grid)).zone, price, revenue)
        rows.append((float(v["same_size"]), v, sorted(chosen)))
    print("\nthree-cell zone A grids (price band, probability band), best first on the same-size ratio:")
    for _ratio, v, a_cells in sorted(rows, key=lambda r: -r[0])[:4]:
        name = ", ".join(f"{pb}/{qb}" for pb, qb in a_cells)
        default = a_cells == sorted([("high", "high"), ("high", "mid"), ("mid", "high")])
        print(f"  {name}: {verdict(v)}{'  (default)' if default else ''}")
    n_a = int(out["zones"]["A"]["accounts"])
    top_price = float(out["versus_price"]["same_size_per_account"])
    ev = np.nan_to_num(base.frame["expected_value"].to_numpy(dtype=float), nan=-1.0)
    by_ev = np.zeros(len(ids), dtype=bool)
    by_ev[np.argsort(-ev, kind="stable")[:n_a]] = True
    v_ev = versus_price(np.where(by_ev, "A", "C"), price, revenue)
    oracle = float(np.sort(revenue)[::-1][:n_a].mean())
    print(
        f"\nceiling at zone A's size ({n_a:,} accounts): top-priced {top_price:,.0f} / account; default zone A "
        f"{out['zones']['A']['per_account']:,.0f} ({out['versus_price']['same_size']:.2f}); ranked by expected value "
        f"{revenue[by_ev].mean():,.0f} ({verdict(v_ev)}); perfect foresight {oracle:,.0f} ({oracle / top_price:.2f}); "
        f"all customers {revenue.mean():,.0f}"
    )


def main() -> int:
    print(f"load {os.getloadavg()[0]:.1f}")
    deals = retail_frames().deals
    for as_of in DATES:
        study(deals, as_of)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
