"""Time the follow-up queue built in bulk inside the snapshot, and the snapshot before and after it.

Fills its own PostgreSQL database like ``benchmarks/snapshot.py`` (N accounts, M deals, 200 reps of
whom a third are developing), then:

1. **burst**: the first snapshot (one week before the as-of date) with no queue yet: every dormant
   and at-risk account is new; ``followups_create``'s own time is measured inside it;
2. **weekly**: the snapshot a week later, alternating ``--rounds`` times between *before* (the
   snapshot as it was before issue 13: at-risk rule off, no follow-up receiver) and *after* (at-risk
   on, the queue moved in the same transaction); each round's snapshot and tasks are deleted so
   every round starts from the same state.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_followups_bench DEBUG=1 .venv/bin/python -m benchmarks.followups_bulk
    ... --accounts 20000 --deals 60000 --rounds 1    # a quick run
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.snapshot import AS_OF, fill  # noqa: E402
from kokyaku.crm.models import Account, Deal  # noqa: E402
from kokyaku.followups import services as followup_services  # noqa: E402
from kokyaku.followups.models import FollowUp, QueueState, Reactivation  # noqa: E402
from kokyaku.portfolio import services  # noqa: E402
from kokyaku.portfolio.models import Snapshot, SnapshotRow  # noqa: E402
from kokyaku.portfolio.signals import snapshot_written  # noqa: E402

UID = "followups.on_snapshot_written"
timings: list[float] = []
cpu_timings: list[float] = []
runs: list[followup_services.FollowUpRun] = []


def cpu_seconds() -> float:
    """CPU seconds spent so far by this process and by its PostgreSQL backend (same machine: /proc).

    Wall time on a shared machine moves with the other work on it; the CPU the snapshot itself
    spends moves far less, so the before / after comparison is made on both. Parallel query
    workers' CPU is not counted (they are other processes); both sides of the comparison alike.
    """
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 - a one-line read
    backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time() + backend


def timed_receiver(sender: object, **kwargs: Any) -> None:
    t, c = time.perf_counter(), cpu_seconds()
    runs.append(followup_services.followups_create(**{k: kwargs[k] for k in ("snapshot", "accounts", "lifecycle", "deals")}))
    timings.append(time.perf_counter() - t)
    cpu_timings.append(cpu_seconds() - c)


def mode(after: bool) -> None:
    """``after``: today's snapshot (at risk on, the queue moved); else as before issue 13."""
    snapshot_written.disconnect(dispatch_uid=UID)
    services.AT_RISK_FACTOR = 2.0 if after else None  # type: ignore[assignment]
    if after:
        snapshot_written.connect(timed_receiver, dispatch_uid=UID)


def drop(snapshot: Snapshot) -> None:
    Reactivation.objects.filter(snapshot=snapshot).delete()
    FollowUp.objects.filter(snapshot=snapshot).delete()
    SnapshotRow.objects.filter(snapshot=snapshot).delete()
    snapshot.delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=3_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="weekly snapshots of each kind, alternated")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("benchmarks/followups_bulk.py needs DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    if Account.objects.count() != args.accounts or Deal.objects.count() != args.deals:
        t = time.perf_counter()
        fill(args.accounts, args.deals)
        print(f"filled {args.accounts:,} accounts / {args.deals:,} deals in {time.perf_counter() - t:.0f} s", flush=True)
    FollowUp.objects.all().delete()
    for old in Snapshot.objects.all():
        drop(old)
    print(f"load average before: {os.getloadavg()}", flush=True)

    mode(after=True)
    t = time.perf_counter()
    first = services.snapshot_create(actor=None, as_of=AS_OF - timedelta(days=7))
    burst_total = time.perf_counter() - t
    burst = runs[-1]
    print(
        f"burst: snapshot {burst_total:.2f} s, of which followups_create {timings[-1]:.2f} s: "
        f"{burst.created:,} tasks ({burst.unassigned:,} unassigned), {burst.covered:,} covered by strong reps",
        flush=True,
    )
    kept = QueueState.objects.get(snapshot=first)  # each weekly run replaces it: put it back after each round
    totals: dict[str, list[float]] = {"before": [], "after": []}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    weekly: list[float] = []
    weekly_cpu: list[float] = []
    for _ in range(args.rounds):
        for kind in ("before", "after"):
            mode(after=kind == "after")
            t, c = time.perf_counter(), cpu_seconds()
            snapshot = services.snapshot_create(actor=None, as_of=AS_OF)
            totals[kind].append(time.perf_counter() - t)
            cpu[kind].append(cpu_seconds() - c)
            if kind == "after":
                weekly.append(timings[-1])
                weekly_cpu.append(cpu_timings[-1])
                week = runs[-1]
            drop(snapshot)
            QueueState.objects.all().delete()
            QueueState.objects.create(snapshot=first, dormant=kept.dormant, at_risk=kept.at_risk)
            print(f"  {kind}: {totals[kind][-1]:.2f} s, {cpu[kind][-1]:.2f} CPU s (load {os.getloadavg()[0]:.1f})", flush=True)
    b, a = min(totals["before"]), min(totals["after"])
    print(
        f"weekly: {week.created:,} new tasks, {week.already_open:,} already open, {week.reactivated:,} reactivations; "
        f"followups_create best {min(weekly):.2f} s, {min(weekly_cpu):.2f} CPU s"
    )
    print(f"snapshot_create best of {args.rounds}: before {b:.2f} s, after {a:.2f} s ({(a / b - 1) * 100:+.1f}%)")
    cb, ca = min(cpu["before"]), min(cpu["after"])
    change = f"{(ca / cb - 1) * 100:+.1f}%"
    print(f"snapshot_create CPU (process + backend), best of {args.rounds}: before {cb:.2f} s, after {ca:.2f} s ({change})")
    share = f"{min(weekly) / a:.1%} of its wall time, {min(weekly_cpu) / ca:.1%} of its CPU"
    print(f"the weekly follow-up step's share of the snapshot: {share}")
    print(f"load average after: {os.getloadavg()}")
    drop(first)
    return 0


if __name__ == "__main__":
    sys.exit(main())
