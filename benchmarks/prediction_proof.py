"""Prove the prediction models on data: every model against every baseline, and the back-test (issue 9).

Reads the data sets straight into the domain's frames (``benchmarks/prediction_data.py``: the
same shapes the import and the snapshot give) and prints markdown tables for docs/prediction.md:

1. the demo (seeded generator, planted effects): the deal model on a time split; and the open
   deals at the as-of date scored by every source that applies to them (model, base rate, naive
   Bayes, stage table, the rep's number) against outcomes drawn from the generator's own planted
   win probability (the only place the stage and rep baselines can be measured: stored closed
   deals keep only their final stage and no rep number);
2. Maven CRM: the deal model on a time split (it should fall back to the base rate);
3. Online Retail: the repeat-purchase model against the quarter share for "buys in the next
   quarter", with its reliability table, and the back-test as of 2011-06-30 over 6 months.

    .venv/bin/python -m benchmarks.prediction_proof [--json /tmp/proof.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.prediction_data import demo_frames, maven_frames, retail_frames
from kokyaku.domain.portfolio import DEFAULT_STAGE_PROBABILITIES, CriteriaSpec, compute_portfolio
from kokyaku.domain.prediction import (
    NaiveBayesScorer,
    account_probabilities,
    backtest,
    evaluate,
    evaluate_repeat,
    score,
    score_open_deals,
    team_of,
    to_json,
    train_deal_model,
    train_repeat_model,
    view_dates,
)


def metrics_table(metrics: dict[str, Any]) -> str:
    lines = ["| | AUC | Brier | log loss | ECE | n |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, m in metrics.items():
        auc = "–" if m["auc"] is None else f"{m['auc']:.3f}"
        lines.append(f"| {name} | {auc} | {m['brier']:.4f} | {m['log_loss']:.4f} | {m['ece']:.3f} | {m['n']:,} |")
    return "\n".join(lines)


def demo_open_deals(as_of: date, seed: int) -> dict[str, Any]:
    """Score the demo's open deals with every source; outcomes drawn from the planted probabilities."""
    fr = demo_frames(accounts=2000, seed=7, as_of=as_of)
    d = fr.deals
    crm = fr.crm()
    model = train_deal_model(crm, as_of=as_of)
    scored = score_open_deals(model, crm, as_of=as_of)
    is_open = (d["status"] == "open").to_numpy()
    truth = pd.Series(fr.truth["p_win"][is_open], index=d.loc[is_open, "deal_id"].to_numpy())
    y = (np.random.default_rng(seed).random(len(scored)) < truth.reindex(scored["deal_id"]).to_numpy()).astype(int)
    closed = d.loc[~is_open]
    won = (closed["status"] == "won").to_numpy()
    at = view_dates(closed, as_of=as_of)
    X_closed = crm.features(closed, at=at, history=d)
    X_open = crm.features(d.loc[is_open], at=np.full(int(is_open.sum()), np.datetime64(as_of, "D")), history=d)
    teams = team_of(d, fr.reps)
    nb = NaiveBayesScorer().fit(X_closed, won, team=teams[~is_open])
    open_deals = d.loc[is_open].reset_index(drop=True)
    stage = open_deals["stage"].map({k: v / 100 for k, v in DEFAULT_STAGE_PROBABILITIES.items()}).to_numpy(dtype=float)
    rep = open_deals["probability"].to_numpy(dtype=float) / 100
    p = scored["probability"].to_numpy()
    out: dict[str, Any] = {
        "model": score(y, p),
        "base_rate": score(y, np.full(len(y), won.mean())),
        "naive_bayes": score(y, nb.predict_proba(X_open, team=teams[is_open])[:, 1]),
        "stage": score(y[np.isfinite(stage)], stage[np.isfinite(stage)]),
        "rep": score(y[np.isfinite(rep)], rep[np.isfinite(rep)]),
    }
    has_rep = np.isfinite(rep)
    out["model (deals with a rep number)"] = score(y[has_rep], p[has_rep])
    return {"metrics": out, "explained": scored.head(3).to_dict(orient="records")}


def retail_backtest(as_of: date, months: int) -> dict[str, Any]:
    fr = retail_frames()
    d = fr.deals
    known = d.loc[d["closed_on"] <= pd.Timestamp(as_of)]
    ids = np.sort(np.asarray(pd.unique(known["account_id"])))
    report = {"repeat": evaluate_repeat(deals=known, as_of=as_of)}
    bg = train_repeat_model(deals=known, as_of=as_of)
    ap = account_probabilities(ids, deals=known, as_of=as_of, report=report, repeat_model=bg)
    out: dict[str, Any] = {"repeat": report["repeat"]}
    for label, repeat in (("quarter_share", None), ("repeat_model", ap.repeat_probability)):
        res = compute_portfolio(ids, known, as_of=as_of, criteria=CriteriaSpec(), repeat_probability=repeat)
        f = res.frame
        out[label] = {
            "probability": {
                "distinct": int(f["win_probability"].nunique()),
                "min": float(f["win_probability"].min()),
                "max": float(f["win_probability"].max()),
                "sources": f["probability_source"].value_counts().to_dict(),
            },
            "band_notes": res.band_notes_dict(),
            "backtest": backtest(f, d, as_of=as_of, horizon_months=months),
        }
    return out


def backtest_table(out: dict[str, Any]) -> str:
    lines = [
        "| zones from | A accounts | A revenue / account | B / account | C / account | A/C | A's share of revenue |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [
        ("price alone (terciles)", out["repeat_model"]["backtest"]["price_only"]),
        ("price × quarter share (today, tie-aware bands)", out["quarter_share"]["backtest"]),
        ("price × repeat-purchase model", out["repeat_model"]["backtest"]),
    ]
    for label, b in rows:
        z = b["zones"]
        lines.append(
            f"| {label} | {z['A']['accounts']:,} | {z['A']['per_account']:,.0f} | {z['B']['per_account']:,.0f} | "
            f"{z['C']['per_account']:,.0f} | {b['a_over_c']:.2f} | {b['a_capture']:.1%} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args()
    print(f"load {os.getloadavg()[0]:.1f}")
    results: dict[str, Any] = {}
    t = time.perf_counter()
    fr = demo_frames(accounts=2000, seed=7, as_of=date(2026, 6, 30))
    results["demo"] = evaluate(fr.crm(), as_of=date(2026, 6, 30))
    results["demo_open"] = demo_open_deals(date(2026, 6, 30), seed=11)
    print(f"\n## Demo (2,000 accounts, seed 7, as of 2026-06-30; {time.perf_counter() - t:.1f} s)\n")
    demo_deal = results["demo"]["deal"]
    print(f"deal: serving {demo_deal['serving']} ({demo_deal['reason']}), split {demo_deal['split']}")
    print(metrics_table(results["demo"]["deal"]["metrics"]))
    print("\nopen deals at the as-of date, outcomes drawn from the planted probability:\n")
    print(metrics_table(results["demo_open"]["metrics"]))
    print(f"\nrepeat: serving {results['demo']['repeat']['serving']}\n")
    print(metrics_table(results["demo"]["repeat"]["metrics"]))

    t = time.perf_counter()
    mv = maven_frames()
    results["maven"] = evaluate(mv.crm(), as_of=date(2017, 12, 31))
    deal = results["maven"]["deal"]
    print(f"\n## Maven CRM (as of 2017-12-31; {time.perf_counter() - t:.1f} s)\n")
    print(
        f"deal: serving {deal['serving']} ({deal['reason']}), split {deal['split']}, dropped {deal['model']['dropped_features']}"
    )
    print(metrics_table(deal["metrics"]))
    print(f"repeat: serving {results['maven']['repeat']['serving']} ({results['maven']['repeat']['reason']})")

    t = time.perf_counter()
    rt = retail_frames()
    for label, when in (("retail_end", date(2011, 12, 9)), ("retail_mid", date(2011, 6, 30))):
        rep = evaluate_repeat(deals=rt.deals.loc[rt.deals["closed_on"] <= pd.Timestamp(when)], as_of=when)
        results[label] = rep
        split = rep["split"]
        print(f"\n## Online Retail repeat purchases, split {split['train_until']} -> {when} ({split['customers']:,} customers)\n")
        print(f"serving {rep['serving']} ({rep['reason']}); BG/NBD {rep['model']}")
        print(metrics_table(rep["metrics"]))
        print("\nreliability (model): " + ", ".join(f"{r['predicted']:.2f}->{r['actual']:.2f}" for r in rep["deciles"]["model"]))
        print(
            "reliability (history): " + ", ".join(f"{r['predicted']:.2f}->{r['actual']:.2f}" for r in rep["deciles"]["history"])
        )
    results["retail_backtest"] = retail_backtest(date(2011, 6, 30), 6)
    print(f"\n## Online Retail back-test, as of 2011-06-30, revenue 2011-07-01 .. 12-31 ({time.perf_counter() - t:.1f} s)\n")
    print(backtest_table(results["retail_backtest"]))
    for label in ("quarter_share", "repeat_model"):
        print(
            label,
            results["retail_backtest"][label]["probability"],
            results["retail_backtest"][label]["band_notes"]["probability"],
        )
    print(f"\nload {os.getloadavg()[0]:.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(to_json(results), fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
