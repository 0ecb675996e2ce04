"""Benchmark the assignment optimiser alone: demo accounts × reps, solved to proven optimality.

Draws a demo portfolio with the seeded generator (``kokyaku/demo/generator.py``), scores it with
:func:`~kokyaku.domain.portfolio.compute_portfolio` (zones and lifecycles), then times
:func:`~kokyaku.domain.assignment.plan_assignment` — no database: the end-to-end figure (loading
from the database, storing the plan) belongs to the Django phase. Run:

    .venv/bin/python -m benchmarks.assignment --accounts 100000 --reps 200 --runs 5
    .venv/bin/python -m benchmarks.assignment --accounts 100000 --reps 200 --value-capacity 1.5
    .venv/bin/python -m benchmarks.assignment --accounts 2000 --seeds 10   # the demo's fit per seed
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from kokyaku.demo.generator import DemoGenerator, DemoSpec
from kokyaku.domain.assignment import AssignmentPolicy, plan_assignment, read_problem
from kokyaku.domain.assignment.explain import policy_fit
from kokyaku.domain.assignment.flow import solve_counts
from kokyaku.domain.portfolio import CriteriaSpec, compute_portfolio

AS_OF = date(2026, 11, 22)


def demo_frames(
    accounts: int, *, seed: int = 7, reps: int | None = None, as_of: date = AS_OF
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the accounts and reps frames of a demo portfolio, with zones and lifecycles computed.

    The demo's reps carry their tier and capacity (strong reps 1.3x, developing 0.9x the average
    load); today's owners were drawn blind to buyer type, as equal shares are handed out.
    """
    gen = DemoGenerator(DemoSpec(accounts=accounts, seed=seed, as_of=as_of, reps=reps))
    teams = np.asarray(gen.teams(), dtype=object)
    r = gen.reps()
    acc_parts, deal_parts = [], []
    for chunk in gen.chunks():
        a, d = chunk.accounts, chunk.deals
        acc_parts.append(
            pd.DataFrame({"account_id": a["index"], "owner_id": a["owner"], "buyer_type": a["buyer_type"], "region": a["region"]})
        )
        deal_parts.append(
            pd.DataFrame(
                {
                    "account_id": d["account"],
                    "status": d["status"],
                    "amount": d["amount"].astype(float),
                    "probability": np.where(d["probability"] < 0, np.nan, d["probability"]).astype(float),
                    "stage": d["stage"],
                    "opened_on": d["opened_on"].astype("datetime64[ns]"),
                    "closed_on": d["closed_on"].astype("datetime64[ns]"),
                }
            )
        )
    acc = pd.concat(acc_parts, ignore_index=True)
    deals = pd.concat(deal_parts, ignore_index=True)
    scored = compute_portfolio(acc["account_id"].to_numpy(), deals, as_of=as_of, criteria=CriteriaSpec()).frame
    acc["zone"] = scored["zone"].to_numpy()
    acc["lifecycle"] = scored["lifecycle"].to_numpy()
    acc["expected_value"] = scored["expected_value"].to_numpy()
    rep_frame = pd.DataFrame(
        {
            "rep_id": r["index"],
            "tier": r["tier"],
            "capacity": r["capacity"],
            "active": np.ones(len(r["index"]), dtype=bool),
            "team": teams[r["team"]],
        }
    )
    return acc, rep_frame


def fit_ceiling(accounts: pd.DataFrame, reps: pd.DataFrame, policy: AssignmentPolicy) -> float:
    """The highest policy fit any plan can reach within the same rules and capacities.

    Solved exactly as a min-cost flow that earns one point per account placed in its wanted tier
    (no weights, no continuity): the plan maximises weighted terms instead, so it may sit a little
    below this ceiling, never above.
    """
    problem = read_problem(accounts, reps, policy)
    one_point = np.stack([problem.wanted == 0, problem.wanted == 1], axis=1).astype(np.int64)
    best = solve_counts(replace(problem, tier_score=one_point, continuity=0))
    assert best.owner is not None
    return policy_fit(problem, best.owner)


def seeds_table(seeds: int, accounts: int, *, keep_team: bool = True) -> None:
    """Print the demo's policy fit per seed: the plan, the ceiling, round-robin and equal split."""
    print("| seed | developing reps | plan fit | ceiling | round-robin | equal split | plan moves | round-robin moves |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    policy = AssignmentPolicy(keep_team=keep_team)
    for seed in range(seeds):
        acc, reps = demo_frames(accounts, seed=seed)
        plan = plan_assignment(acc, reps, policy=policy)
        if plan.policy_fit is None:
            print(f"| {seed} | infeasible: {plan.reason.message if plan.reason else ''} |")
            continue
        rr, eq = plan.baselines["round_robin"], plan.baselines["equal_split"]
        developing = int((reps["tier"] == "developing").sum())
        print(
            f"| {seed} | {developing} / {len(reps)} | {plan.policy_fit:.1%} | {fit_ceiling(acc, reps, policy):.1%} "
            f"| {rr.policy_fit:.1%} | {eq.policy_fit:.1%} | {plan.move_count:,} | {rr.moves:,} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=None, help="default: the demo's (one per 67 accounts, at least 30)")
    parser.add_argument("--seed", type=int, default=2, help="2: every team of the 100,000 x 200 demo has room")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--value-capacity", type=float, default=0.0, help="every rep may carry this many times the average value")
    parser.add_argument("--no-team", action="store_true", help="let accounts move between teams")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds CP-SAT may spend when value capacities bind")
    parser.add_argument("--seeds", type=int, default=0, help="print the demo's policy fit for seeds 0..N-1 instead")
    args = parser.parse_args()
    if args.seeds:
        seeds_table(args.seeds, args.accounts, keep_team=not args.no_team)
        return 0
    t = time.perf_counter()
    accounts, reps = demo_frames(args.accounts, seed=args.seed, reps=args.reps)
    teams = reps["team"].nunique()
    print(f"demo data: {len(accounts):,} accounts, {len(reps)} reps, {teams} teams, drawn in {time.perf_counter() - t:.1f} s")
    if args.value_capacity:
        reps["value_capacity"] = float(np.nansum(accounts["expected_value"])) / len(reps) * args.value_capacity
    policy = AssignmentPolicy(keep_team=not args.no_team)
    solver, whole = [], []
    plan = None
    for _ in range(args.runs):
        plan = plan_assignment(accounts, reps, policy=policy, time_limit=args.time_limit)
        solver.append(plan.solver_seconds)
        whole.append(plan.seconds)
    assert plan is not None
    print(f"status {plan.status} ({plan.method}), moves {plan.move_count:,}")
    if plan.reason is not None:
        print(f"  reason: {plan.reason.code}: {plan.reason.message}")
    if plan.policy_fit is not None:
        print(f"policy fit {plan.policy_fit:.1%} (today {plan.policy_fit_before:.1%})")
    if plan.score is not None and plan.bound:
        print(f"policy score {plan.score:,} of a bound of {plan.bound:,} (gap {1 - plan.score / plan.bound:.2%})")
    for name, b in plan.baselines.items():
        print(f"  {name}: policy fit {b.policy_fit:.1%}, moves {b.moves:,}")
    print(f"solver alone, median of {args.runs}: {statistics.median(solver):.3f} s (fastest {min(solver):.3f} s)")
    print(f"whole call with explanations and both baselines, median: {statistics.median(whole):.3f} s")
    table = plan.reps
    print(f"reps over capacity after: {int((table['accounts_after'] > table['capacity']).sum())}")
    if args.value_capacity:
        print(f"reps over value capacity after: {int((table['value_after'] > table['value_capacity']).sum())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
