"""Online Retail: does zone A earn clearly more per account than price alone? Chosen on one date, confirmed on a later one.

The back-test of docs/prediction.md (as of 2011-06-30, six months of later revenue) found zone A
only 7% above "terciles of unit price alone". This script searches the settings a team can change
without touching the default grid — the probability axis' quantile cuts, the unit price
look-back, and the horizon of the repeat-purchase model's "buys in the next period" — on the
portfolio as of 2011-03-31 (revenue 2011-04-01 .. 09-30), picks the setting whose zone A earns
most per account relative to price alone among those that keep zone A at 25% or more of the
zoned accounts (a smaller A earns more per account trivially), then measures that one setting,
and the defaults, as of 2011-06-30. Nothing from after 2011-03-31 is used to choose.

    .venv/bin/python -m benchmarks.prediction_zone_a [--json /tmp/zone_a.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.prediction_data import retail_frames
from kokyaku.domain.portfolio import AxisRule, CriteriaSpec, compute_portfolio
from kokyaku.domain.prediction import backtest, evaluate_repeat, later_revenue, train_repeat_model

CHOOSE_ON = date(2011, 3, 31)
CONFIRM_ON = date(2011, 6, 30)
MONTHS = 6
MIN_A_SHARE = 0.25
PROBABILITY_CUTS = ((1 / 3, 2 / 3), (0.25, 0.75), (0.5, 0.8), (0.2, 0.5))
LOOKBACK_MONTHS = (24, 6, 3)
HORIZON_DAYS = (91, 182)


def run(deals: pd.DataFrame, as_of: date, *, cuts: tuple[float, float], lookback: int, horizon: int) -> dict[str, Any]:
    known = deals.loc[deals["closed_on"] <= pd.Timestamp(as_of)]
    ids = np.sort(np.asarray(pd.unique(known["account_id"])))
    repeat = None
    report = evaluate_repeat(deals=known, as_of=as_of, horizon_days=horizon)
    if report["serving"] == "model":
        bg = train_repeat_model(deals=known, as_of=as_of)
        repeat = bg.predict_next(ids, known, as_of=as_of, horizon_days=horizon)
    spec = CriteriaSpec(probability=AxisRule(low=cuts[0], high=cuts[1]), lookback_months=lookback)
    res = compute_portfolio(ids, known, as_of=as_of, criteria=spec, repeat_probability=repeat)
    out = backtest(res.frame, deals, as_of=as_of, horizon_months=MONTHS)
    a, p = out["zones"]["A"]["per_account"], out["price_only"]["zones"]["A"]["per_account"]
    out["a_vs_price"] = round(a / p, 4) if a and p else None
    # The fair comparison at equal size: the same number of accounts picked by unit price alone.
    revenue = later_revenue(ids, deals, start=date.fromisoformat(out["start"]), end=date.fromisoformat(out["end"]))
    n_a = int(out["zones"]["A"]["accounts"])
    price = res.frame["unit_price"].to_numpy(dtype=float)
    top = np.argsort(-np.nan_to_num(price, nan=-np.inf), kind="stable")[:n_a]
    same = float(revenue[top].mean()) if n_a else None
    out["price_same_size_per_account"] = round(same, 2) if same else None
    out["a_vs_price_same_size"] = round(a / same, 4) if a and same else None
    out["repeat_serving"] = report["serving"]
    out["setting"] = {"probability_cuts": [round(c, 4) for c in cuts], "lookback_months": lookback, "horizon_days": horizon}
    return out


def row(out: dict[str, Any]) -> str:
    s, z, pz = out["setting"], out["zones"], out["price_only"]["zones"]
    cuts = "/".join(f"{c:.2f}" for c in s["probability_cuts"])
    return (
        f"| {cuts} | {s['lookback_months']} | {s['horizon_days']} | {out['repeat_serving']} | "
        f"{z['A']['accounts']:,} ({out['a_share_accounts']:.0%}) | {z['A']['per_account']:,.0f} | "
        f"{pz['A']['per_account']:,.0f} | "
        f"{out['a_vs_price']:.2f} | {out['price_same_size_per_account']:,.0f} | {out['a_vs_price_same_size']:.2f} | "
        f"{out['a_over_c']:.2f} | {out['a_capture']:.1%} |"
    )


HEADER = (
    "| probability cuts | look-back (months) | horizon (days) | probability from | A accounts (share) | A / account "
    "| price terciles: A / account | A vs price | price, same A size: / account | A vs price, same size | A/C "
    "| A's share of revenue |\n| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args()
    print(f"load {os.getloadavg()[0]:.1f}")
    deals = retail_frames().deals
    tried = [
        run(deals, CHOOSE_ON, cuts=c, lookback=lb, horizon=h)
        for c, lb, h in itertools.product(PROBABILITY_CUTS, LOOKBACK_MONTHS, HORIZON_DAYS)
    ]
    eligible = [t for t in tried if (t["a_share_accounts"] or 0) >= MIN_A_SHARE and t["a_vs_price"] is not None]
    best = max(eligible, key=lambda t: t["a_vs_price"])
    print(f"\n## Chosen on {CHOOSE_ON} (revenue of the next {MONTHS} months)\n\n{HEADER}")
    for t in tried:
        print(row(t) + (" **chosen**" if t is best else ""))
    s = best["setting"]
    default = run(deals, CONFIRM_ON, cuts=(1 / 3, 2 / 3), lookback=24, horizon=91)
    chosen = run(deals, CONFIRM_ON, cuts=tuple(s["probability_cuts"]), lookback=s["lookback_months"], horizon=s["horizon_days"])
    print(f"\n## Confirmed on {CONFIRM_ON}\n\n{HEADER}\n{row(default)} default\n{row(chosen)} chosen on {CHOOSE_ON}")
    if args.json:
        with open(args.json, "w") as fh:
            everything = {"tried": tried, "chosen": s, "confirm_default": default, "confirm_chosen": chosen}
            json.dump(everything, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
