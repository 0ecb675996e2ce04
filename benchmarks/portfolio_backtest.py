"""Back-test the portfolio: zones as of a date against the revenue each zone earned next.

Takes a snapshot as of ``--as-of`` (only purchases up to that day count), then sums the won
revenue of the following ``--months`` per zone of that snapshot and prints revenue per account
by zone. Run it on a database that holds purchases, e.g. the UCI Online Retail data set:

    export KOKYAKU_DATA_DIR=/tmp/kk-backtest DEBUG=1
    .venv/bin/kokyaku migrate
    .venv/bin/kokyaku import purchases ../shared/datasets/online_retail/online_retail.csv.gz \\
        --mapping docs/mappings/online_retail_purchases.toml
    .venv/bin/python -m benchmarks.portfolio_backtest --as-of 2011-08-31 --months 3
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

import pandas as pd  # noqa: E402

from kokyaku.portfolio.selectors import effort_return, team_matrix  # noqa: E402
from kokyaku.portfolio.services import snapshot_create  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--months", type=int, default=3)
    args = parser.parse_args()
    snapshot = snapshot_create(actor=None, as_of=args.as_of)
    start = args.as_of + timedelta(days=1)
    end = (pd.Timestamp(start) + pd.DateOffset(months=args.months) - pd.Timedelta(days=1)).date()
    matrix = team_matrix(snapshot)
    revenue = pd.Series({r.zone: r.revenue for r in effort_return(snapshot, start=start, end=end)}, dtype=float)
    counts = {**matrix.zone_accounts, "": matrix.unzoned}
    print(f"snapshot {snapshot.pk} as of {args.as_of}; revenue {start} .. {end}")
    print("| zone | accounts | next-period revenue | per account | share of revenue |")
    print("| --- | ---: | ---: | ---: | ---: |")
    total = float(revenue.sum())
    per: dict[str, float] = {}
    for zone in ("A", "B", "C", ""):
        rev = float(revenue.get(zone, 0.0))
        n = counts[zone]
        per[zone] = rev / n if n else float("nan")
        print(f"| {zone or 'unzoned'} | {n:,} | {rev:,.0f} | {per[zone]:,.0f} | {rev / total:.1%} |")
    print(f"zone A earns {per['A'] / per['C']:.1f}x as much per account as zone C")
    return 0


if __name__ == "__main__":
    sys.exit(main())
