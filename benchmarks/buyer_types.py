"""Time the buyer-type suggestion on a demo portfolio, and print how well it recovers the planted types.

Draws a demo portfolio with the generator (pure NumPy, no database), then times each step of the
pure domain core over every account: the behaviour features, the rules, the learned model's
held-out evaluation and its cross-fitted suggestion (5 folds), and the key-person and objection
analytics; and prints the agreement report with its confusion matrix for docs/buyer-types.md.

    .venv/bin/python -m benchmarks.buyer_types --accounts 1000000          # the 1M figures
    .venv/bin/python -m benchmarks.buyer_types --accounts 6000 --seed 7    # the test's demo: quality
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import pandas as pd

from kokyaku.demo.behaviour import buyer_type_inputs
from kokyaku.demo.generator import DemoGenerator, DemoSpec
from kokyaku.domain.buyer_types import (
    ALL_TYPES,
    agreement_report,
    behaviour_features,
    cross_fit_suggest,
    evaluate_suggestions,
    key_person_gaps,
    objection_loss_table,
    suggest_buyer_types,
    top_objections,
)

T = TypeVar("T")


def timed(label: str, fn: Callable[[], T]) -> T:
    started = time.perf_counter()
    out = fn()
    print(f"{label:<42} {time.perf_counter() - started:8.2f} s", flush=True)
    return out


def confusion_table(report: dict[str, object]) -> str:
    confusion = report["confusion"]
    assert isinstance(confusion, dict)
    lines = ["| recorded \\ suggested | " + " | ".join(ALL_TYPES) + " |", "| --- |" + " ---: |" * len(ALL_TYPES)]
    for r in ALL_TYPES:
        lines.append(f"| {r} | " + " | ".join(f"{confusion[r][s]:,}" for s in ALL_TYPES) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 20))
    args = parser.parse_args()

    gen = DemoGenerator(DemoSpec(accounts=args.accounts, seed=args.seed, as_of=args.as_of))
    inputs = timed(f"draw the demo ({args.accounts:,} accounts)", lambda: buyer_type_inputs(gen.chunks(), gen.products()))
    accounts = inputs["accounts"]
    print(
        f"  {len(inputs['deals']):,} deals, {len(inputs['key_persons']):,} key persons, {len(inputs['objections']):,} objections"
    )
    ids, recorded = accounts["account_id"], accounts["buyer_type"].to_numpy(dtype=object)
    features = timed(
        "behaviour features",
        lambda: behaviour_features(
            ids,
            inputs["deals"],
            products=inputs["products"],
            key_persons=inputs["key_persons"],
            objections=inputs["objections"],
            as_of=args.as_of,
        ),
    )
    rules = timed("suggestion by the rules", lambda: suggest_buyer_types(features))
    timed("reasons for 1,000 accounts", lambda: rules.reasons(range(min(1000, len(ids)))))
    evaluation = timed("held-out evaluation (fit on 70%)", lambda: evaluate_suggestions(features, recorded))
    learned = timed("cross-fitted learned suggestion (5 folds)", lambda: cross_fit_suggest(features, recorded))
    timed("key-person gaps", lambda: key_person_gaps(ids, recorded, inputs["key_persons"]))
    deals = inputs["deals"]
    timed(
        "objection tags x lost reasons", lambda: objection_loss_table(inputs["objections"], deals.loc[deals["status"] == "lost"])
    )
    timed(
        "top objections of the last quarter",
        lambda: top_objections(inputs["objections"], start=args.as_of - timedelta(days=91), end=args.as_of),
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")

    typed = recorded != "unknown"
    for name, s in (("rules", rules), ("learned (cross-fitted)", learned)):
        enough = s.enough_history & typed
        hit = s.buyer_type[enough] == recorded[enough]
        per_type = pd.Series(hit).groupby(recorded[enough]).mean().round(3).to_dict()
        print(f"\n## {name}: {enough.sum():,} typed accounts with enough history ({enough.sum() / typed.sum():.1%} of typed)")
        print(f"recovered {hit.mean():.1%} (unknown counts as a miss); per type {per_type}")
        report = agreement_report(recorded, s.buyer_type)
        print(json.dumps({k: v for k, v in report.items() if k != "confusion"}))
        print(confusion_table(dict(report)))
    print("\n## held-out evaluation")
    print(json.dumps(evaluation.as_dict()))


if __name__ == "__main__":
    main()
