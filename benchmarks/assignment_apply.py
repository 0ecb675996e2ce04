"""Benchmark assignment end to end from the database: plan (read, solve, store the moves) and apply.

Fills its own PostgreSQL database with the seeded demo (default 100,000 accounts, 200 reps in 20
teams, seed 2 — the figures of benchmarks/assignment.py for the solver alone) and a portfolio
snapshot (zones and lifecycles), then times:

* ``assignment_plan``: reading accounts (with their snapshot row, pin, release) and reps, the
  domain core (min-cost flow, explanations, both baselines), the fingerprint, storing the plan and
  its moves (COPY);
* ``assignment_apply``: re-reading the data to check the fingerprint, moving every owner in one
  UPDATE and the accounts' open deals in another, one audit row and one hand-over per move,
  resolving releases, the follow-ups of dormant accounts moved to developing reps — in one transaction,
  rolled back after each timed run so every run applies the same plan.

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_assign_bench .venv/bin/python -m benchmarks.assignment_apply
    ... --accounts 20000 --reps 60 --runs 3     # a quick run

The fill runs only when the database holds a different number of accounts or reps than asked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from kokyaku.assignment.models import OwnerChange, Plan  # noqa: E402
from kokyaku.assignment.services import assignment_apply, assignment_plan  # noqa: E402
from kokyaku.crm.models import Account, Deal, Rep  # noqa: E402
from kokyaku.demo.services import demo_load  # noqa: E402
from kokyaku.followups.models import FollowUp  # noqa: E402
from kokyaku.portfolio.services import snapshot_create  # noqa: E402

AS_OF = date(2026, 11, 22)


def fill(accounts: int, reps: int, seed: int) -> None:
    with connection.cursor() as c:
        c.execute(
            "TRUNCATE assignment_handover, assignment_ownerchange, assignment_planmove, assignment_plan, "
            "assignment_accountrelease, assignment_accountpin, portfolio_snapshotrow, portfolio_snapshot, "
            "crm_activity, crm_deal, crm_target, crm_account, crm_rep, crm_team CASCADE"
        )
    demo_load(actor=None, accounts=accounts, rep_count=reps, seed=seed, as_of=AS_OF)
    snapshot_create(actor=None, as_of=AS_OF)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2, help="2: every team of the 100,000 x 200 demo has room")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("run this against PostgreSQL (DATABASE_URL=postgres://...)", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    if Account.objects.count() != args.accounts or Rep.objects.count() != args.reps:
        t = time.perf_counter()
        fill(args.accounts, args.reps, args.seed)
        print(f"filled {args.accounts:,} demo accounts, {args.reps} reps and a snapshot in {time.perf_counter() - t:.1f} s")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    plan_wall, solver, domain = [], [], []
    plan: Plan | None = None
    for _ in range(args.runs):
        t = time.perf_counter()
        plan = assignment_plan(actor=None)
        plan_wall.append(time.perf_counter() - t)
        solver.append(plan.solver_seconds)
        domain.append(plan.seconds)
    assert plan is not None
    rr, eq = plan.baselines["round_robin"], plan.baselines["equal_split"]
    print(
        f"plan {plan.pk}: {plan.status} ({plan.method}), {plan.move_count:,} moves of {plan.accounts:,} accounts, "
        f"policy fit {plan.policy_fit:.1%} (today {plan.policy_fit_before:.1%}; round-robin {rr['policy_fit']:.1%}, "
        f"equal split {eq['policy_fit']:.1%})"
    )
    print(f"plan, solver alone (median of {args.runs}): {statistics.median(solver):.3f} s")
    print(f"plan, domain call with explanations and baselines: {statistics.median(domain):.3f} s")
    print(f"plan, end to end from the database (read, solve, store moves): {statistics.median(plan_wall):.3f} s")

    apply_wall = []
    for _ in range(args.runs):
        with transaction.atomic():
            t = time.perf_counter()
            moved = assignment_apply(actor=None, plan=plan)
            apply_wall.append(time.perf_counter() - t)
            assert moved == plan.move_count == OwnerChange.objects.filter(plan=plan).count()
            handed = FollowUp.objects.filter(rule=FollowUp.Rule.PLAN, status=FollowUp.Status.OPEN).count()
            deals = Deal.objects.filter(status=Deal.Status.OPEN, account__owner_changes__plan=plan).count()
            transaction.set_rollback(True)
        plan.applied_at = plan.applied_by = None
    median = statistics.median(apply_wall)
    print(
        f"apply {moved:,} moves (fingerprint, owners, {deals:,} open deals, audit, hand-overs, {handed:,} follow-ups of "
        f"dormant accounts moved to developing reps), median of {args.runs}: {median:.3f} s"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
