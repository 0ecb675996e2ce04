"""Time the deal model: training on 1,000,000 closed deals, scoring 100,000 open ones (issue 9).

Draws the seeded demo portfolio (pure NumPy, no database) big enough to hold both, then times,
each as one call of the domain API the ``kokyaku train`` / ``kokyaku snapshot`` commands use:

* ``train_deal_model`` on the newest 1,000,000 closed deals (features, both candidates on the
  older 80%, choice and calibration on the newest 20%);
* ``score_open_deals`` on 100,000 open deals with and without the three reasons per deal;
* ``BetaGeoModel`` fitted on every account's purchases, and P(buys next quarter) for all of them.

    .venv/bin/python -m benchmarks.prediction_speed            # 1,000,000 closed / 100,000 open
    .venv/bin/python -m benchmarks.prediction_speed --closed 100000 --open 10000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import date

import numpy as np
import pandas as pd

from benchmarks.prediction_data import demo_frames
from kokyaku.domain.portfolio import deals_as_of
from kokyaku.domain.prediction import BetaGeoModel, CrmFrames, rfm_summary, score_open_deals, train_deal_model

AS_OF = date(2026, 6, 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    accounts = max(2000, int(args.closed / 2.3))
    started = time.perf_counter()
    fr = demo_frames(accounts=accounts, seed=args.seed, as_of=AS_OF)
    activities = 0 if fr.activities is None else len(fr.activities)
    print(
        f"demo: {accounts:,} accounts, {len(fr.deals):,} deals, {activities:,} activities "
        f"drawn in {time.perf_counter() - started:.1f} s; load {os.getloadavg()[0]:.1f}"
    )
    d = fr.deals
    closed = d.loc[d["status"] != "open"].sort_values("closed_on")
    train = pd.concat([closed.tail(args.closed), d.loc[d["status"] == "open"]], ignore_index=True)
    t, cpu = time.perf_counter(), time.process_time()
    crm = fr.crm()
    model = train_deal_model(CrmFrames(train, fr.accounts, fr.activities, fr.reps), as_of=AS_OF)
    fit_s, fit_cpu = time.perf_counter() - t, time.process_time() - cpu
    print(
        f"train on {model.n_train_:,} closed deals: {fit_s:.1f} s wall, {fit_cpu:.1f} s CPU (chosen {model.chosen_}, "
        f"{model.calibration_}, validation Brier {model.candidate_brier_})"
    )

    # Open deals: as of a day early enough that at least --open deals were open then.
    for back in range(0, 400, 20):
        when = pd.Timestamp(AS_OF) - pd.Timedelta(days=back)
        seen = deals_as_of(d, when.date())
        if int((seen["status"] == "open").sum()) >= args.open:
            break
    open_deals = seen.loc[seen["status"] == "open"]
    if len(open_deals) < args.open:  # not that many open at once: repeat them under new ids (same work per deal)
        copies = -(-args.open // len(open_deals))
        open_deals = pd.concat([open_deals] * copies, ignore_index=True).head(args.open)
        open_deals["deal_id"] = np.arange(len(open_deals)) + int(d["deal_id"].max()) + 1
    keep = pd.concat([seen.loc[seen["status"] != "open"], open_deals.head(args.open)], ignore_index=True)
    for explain in (False, True):
        t, cpu = time.perf_counter(), time.process_time()
        scored = score_open_deals(
            model, CrmFrames(keep, crm.accounts, crm.activities, crm.reps), as_of=when.date(), explain=explain
        )
        print(
            f"score {len(scored):,} open deals as of {when.date()} ({'with' if explain else 'without'} reasons): "
            f"{time.perf_counter() - t:.2f} s wall, {time.process_time() - cpu:.2f} s CPU; load {os.getloadavg()[0]:.1f}"
        )

    rfm = rfm_summary(np.asarray(pd.unique(d.loc[d["status"] == "won", "account_id"])), d, as_of=AS_OF)
    t = time.perf_counter()
    bg = BetaGeoModel().fit(rfm["frequency"], rfm["recency"], rfm["age"])
    fit_bg = time.perf_counter() - t
    t = time.perf_counter()
    p = bg.p_purchase(rfm["frequency"], rfm["recency"], rfm["age"], horizon=13.0)
    print(f"BG/NBD on {len(rfm):,} accounts: fit {fit_bg:.2f} s, predict {time.perf_counter() - t:.3f} s (mean {np.mean(p):.3f})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB; load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
