"""Time the buyers app's database paths on the database in DATABASE_URL, and print the time-split measurement.

Fill the database with a demo first (``kokyaku demo --accounts N --seed 7 --as-of 2026-11-20``), then:

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_buyers_bench .venv/bin/python -m benchmarks.buyers_db --as-of 2026-11-20

Prints each step once (the whole-portfolio steps are not cached: this is what a page or a nightly
job pays) with its query count, and the measurement the team page shows.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import date
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kokyaku.buyers import selectors, services  # noqa: E402
from kokyaku.buyers.frames import behaviour_frames  # noqa: E402
from kokyaku.buyers.models import KeyPerson, Objection  # noqa: E402
from kokyaku.crm.models import Account  # noqa: E402


def timed(label: str, fn: Callable[[], Any]) -> Any:
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t
    print(f"| {label} | {seconds:.2f} | {len(ctx.captured_queries)} |")
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 20))
    args = parser.parse_args()
    n = Account.objects.count()
    print(
        f"{connection.vendor}: {n:,} accounts, {KeyPerson.objects.count():,} key persons, "
        f"{Objection.objects.count():,} objections; load average {os.getloadavg()[0]:.2f}"
    )
    print("| step | seconds | queries |\n| --- | ---: | ---: |")
    frames = timed("behaviour_frames (load every deal, key person, objection)", behaviour_frames)
    timed("features as of --as-of", lambda: frames.features(args.as_of))
    result = timed(
        "suggestions_compute (load, evaluate, suggest, store)", lambda: services.suggestions_compute(actor=None, as_of=args.as_of)
    )
    measure = timed("suggestion_measurement (time split)", lambda: selectors.suggestion_measurement(as_of=args.as_of))
    timed("suggestion_measurement again (cached)", lambda: selectors.suggestion_measurement(as_of=args.as_of))
    timed("team_types", selectors.team_types)
    account = Account.objects.filter(key_persons__isnull=False).values_list("pk", flat=True).first()
    timed("account_buyers (one account)", lambda: selectors.account_buyers(account or 0))
    for q in ("効果", "導入効果の根拠", "システム 連携"):

        def search(q: str = q) -> list[Objection]:
            return list(selectors.objection_search(selectors.ObjectionFilter(q=q))[:50])

        timed(f"objection_search {q!r}, first 50", search)
    timed("objection_losses", selectors.objection_losses)
    timed("objection_losses again (cached)", selectors.objection_losses)
    print(
        f"\nsuggestions: {result.method}, {result.suggested:,} of {result.accounts:,} given a type; "
        f"agreement {result.report['agreement']:.3f}"
    )
    print(f"time split at {measure.cutoff} (train {measure.train:,}, test {measure.test:,}, majority {measure.majority_type}):")
    for s in measure.scores:
        acc = "n/a" if s.accuracy is None else f"{s.accuracy:.1%}"
        given = "n/a" if s.given is None else f"{s.given:.1%}"
        print(f"  {s.method:9s} recovered {acc}  given a type {given}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
