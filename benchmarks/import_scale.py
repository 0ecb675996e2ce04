"""The cost of reading amounts in units: ``chunk_check`` on 100,000 deal rows, amounts as written, under
a header that states 千円, and with ``[scale] amount = 1000`` (docs/benchmarks.md, "Amounts in units").

    PYTHONPATH=. .venv/bin/python -m benchmarks.import_scale [--rows 100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from kokyaku.imports.mapping import mapping_parse
from kokyaku.imports.validate import chunk_check, columns_resolve

CASES = (("amount", ""), ("amount（千円）", ""), ("amount", "[scale]\namount = 1000\n"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    n = args.rows
    rng = np.random.default_rng(1)
    base = {
        "external_id": [f"D{i}" for i in range(n)],
        "account": [f"A{i % 2000}" for i in range(n)],
        "status": ["open"] * n,
        "opened_on": ["2024-04-01"] * n,
        "amount": [f"{v:,}" for v in rng.integers(1, 10_000_000, n)],
    }
    for header, scale in CASES:
        frame = pd.DataFrame(base, dtype=object).rename(columns={"amount": header})
        text = (
            'kind = "deals"\n[columns]\nexternal_id = "external_id"\naccount = "account"\nstatus = "status"\n'
            f'opened_on = "opened_on"\namount = "{header}"\n{scale}'
        )
        mapping = mapping_parse(text, kind="deals")
        columns = columns_resolve(list(frame.columns), mapping, file="bench.csv")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            checked = chunk_check(frame, mapping, columns, file="bench.csv", timezone="Asia/Tokyo")
            times.append(time.perf_counter() - start)
        first = float(checked.data["amount"].iloc[0])
        label = f"{header} {scale.strip() or '(no [scale])'}".replace("\n", " ")
        median, fastest = statistics.median(times) * 1000, min(times) * 1000
        print(f"{label:40} median {median:7.1f} ms, min {fastest:7.1f} ms (first amount {first:,.0f})")


if __name__ == "__main__":
    main()
