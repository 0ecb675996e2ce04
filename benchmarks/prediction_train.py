"""Time `kokyaku train` and a snapshot fed by the trained models, through Django, on a demo database.

Loads the seeded demo (``demo_load``) into the configured database when it holds a different
number of accounts, then times, as of the demo's as-of date:

* ``model_train``: reading the CRM in bulk (``crm_frames``), the evaluation against every
  baseline, fitting both models, scoring the open deals with their reasons, writing the version
  and its predictions (stages reported by its progress callback);
* ``snapshot_create`` without models and with them (loading the version, scoring the open deals,
  BG/NBD for the rest).

    export KOKYAKU_DATA_DIR=/tmp/kk-bench DEBUG=1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_w9_bench .venv/bin/python -m benchmarks.prediction_train --accounts 20000
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from kokyaku.crm.models import Account, Activity, Deal  # noqa: E402
from kokyaku.demo.services import demo_load  # noqa: E402
from kokyaku.portfolio.services import snapshot_create  # noqa: E402
from kokyaku.prediction.models import ModelVersion  # noqa: E402
from kokyaku.prediction.services import model_train  # noqa: E402

AS_OF = date(2026, 6, 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if Account.objects.count() != args.accounts:
        started = time.perf_counter()
        with connection.cursor() as c:
            for table in ("prediction_dealprediction", "prediction_modelversion", "portfolio_snapshotrow", "portfolio_snapshot"):
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        Activity.objects.all().delete()
        Deal.objects.all().delete()
        Account.objects.all().delete()
        demo_load(actor=None, accounts=args.accounts, seed=7, as_of=AS_OF, force=True)
        print(f"demo loaded in {time.perf_counter() - started:.1f} s")
    print(
        f"{connection.vendor}, load {os.getloadavg()[0]:.1f}: {Account.objects.count():,} accounts, "
        f"{Deal.objects.count():,} deals, {Activity.objects.count():,} activities"
    )
    marks: list[tuple[str, float, int]] = []
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    version = model_train(actor=None, as_of=AS_OF, progress=lambda stage, n: marks.append((stage, time.perf_counter(), n)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    last = t0
    for stage, at, n in marks:
        print(f"  {stage:<10} {at - last:6.2f} s  ({n:,})")
        last = at
    print(f"model_train: {wall:.2f} s wall, {cpu:.2f} s CPU; serving {version.deal_serving} / {version.repeat_serving}; "
          f"{version.predictions.count():,} predictions")  # fmt: skip
    for label, use in (("snapshot without models", False), ("snapshot with the models", True)):
        t = time.perf_counter()
        snap = snapshot_create(actor=None, as_of=AS_OF, use_models=use)
        print(f"{label}: {time.perf_counter() - t:.2f} s ({snap.account_count:,} accounts)")
    print(f"load {os.getloadavg()[0]:.1f}; model versions stored: {ModelVersion.objects.count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
