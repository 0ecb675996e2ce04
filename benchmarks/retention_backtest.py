"""Back-test dormancy and retention on real purchases: UCI Online Retail (2010-12-01 .. 2011-12-09).

Reads the purchases as the product's import would (benchmarks/online_retail.py: one won deal per
invoice), with no database, and prints markdown tables for docs/retention.md:

1. **Lifecycle**: at each month-end ``--as-of`` date, the accounts called active / at risk /
   dormant (and new), and the share of each that bought again in the next ``--next-days``; the
   rule with the at-risk floor against the plain "twice its own gap" rule;
2. **Reactivations** per month: accounts dormant at one month-end that bought before the next;
3. **Retention** as of the last day: the classic curve, the Kaplan–Meier curve and the
   shifted-beta-geometric projection, the quarterly cohort table and the forecast;
4. **sBG back-test**: fitted on the purchases up to ``--fit-as-of``, its projection against the
   retention observed afterwards (Kaplan–Meier on all the data, same customers), beside a
   constant-retention (geometric) model fitted the same way.

    .venv/bin/python -m benchmarks.retention_backtest
    .venv/bin/python -m benchmarks.retention_backtest --dormancy-days 90 --next-days 90
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pandas as pd

from benchmarks.online_retail import LAST_DAY, load_deals
from kokyaku.domain.followups import reactivations, reactivations_by_month
from kokyaku.domain.portfolio import deals_as_of, lifecycle
from kokyaku.domain.retention import (
    DAYS_PER_YEAR,
    ShiftedBetaGeometric,
    customer_lifetimes,
    kaplan_meier,
    measure_retention,
    purchases_from_deals,
    survival_periods,
)

GROUPS = ("active", "new", "at_risk", "dormant")


def month_ends(first: str, last: str) -> list[date]:
    return [d.date() for d in pd.date_range(first, last, freq="ME")]


def lifecycle_rates(
    deals: pd.DataFrame, as_ofs: list[date], *, next_days: int, dormancy: int, new_days: int, share: float
) -> tuple[pd.DataFrame, list[date]]:
    """Per lifecycle group: accounts (summed over the as-of dates) and the share that bought in the next days."""
    ids = np.sort(deals["account_id"].unique())
    used = [a for a in as_ofs if pd.Timestamp(a + timedelta(days=next_days)) <= LAST_DAY]
    counts = dict.fromkeys(GROUPS, 0)
    bought = dict.fromkeys(GROUPS, 0)
    for as_of in used:
        seen = deals_as_of(deals, as_of)
        stage = lifecycle(ids, seen, as_of=as_of, dormancy_days=dormancy, new_days=new_days, at_risk_share=share)
        window = (deals["closed_on"] > pd.Timestamp(as_of)) & (
            deals["closed_on"] <= pd.Timestamp(as_of + timedelta(days=next_days))
        )
        again = np.isin(ids, deals.loc[window, "account_id"].unique())
        for g in GROUPS:
            counts[g] += int((stage == g).sum())
            bought[g] += int((again & (stage == g)).sum())
    out = pd.DataFrame({"accounts": pd.Series(counts), "bought": pd.Series(bought)})
    out["rate"] = out["bought"] / out["accounts"]
    return out, used


def print_lifecycle(deals: pd.DataFrame, args: argparse.Namespace) -> None:
    as_ofs = month_ends(args.first_as_of, args.last_as_of)
    print(f"\n## 1. Lifecycle: who bought again in the next {args.next_days} days")
    print(f"dormancy {args.dormancy_days} days, new {args.new_days} days, at risk past 2x own median gap")
    rows = {}
    for label, share in (("past 2x own gap and half the dormancy period", 0.5), ("past 2x own gap only", 0.0)):
        table, used = lifecycle_rates(
            deals, as_ofs, next_days=args.next_days, dormancy=args.dormancy_days, new_days=args.new_days, share=share
        )
        rows[label] = table
    print(f"as-of dates: {', '.join(str(a) for a in used)} ({len(used)})\n")
    print("| at-risk rule | active | at risk | dormant | new | dormant ÷ active | at risk between? |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, t in rows.items():
        r = t["rate"]
        cell = {g: f"{r[g]:.3f} ({t['accounts'][g]:,})" for g in GROUPS}
        between = "yes" if r["dormant"] < r["at_risk"] < r["active"] else "no"
        print(
            f"| {label} | {cell['active']} | {cell['at_risk']} | {cell['dormant']} | {cell['new']} "
            f"| **{r['dormant'] / r['active']:.2f}** | {between} |"
        )
    print("\nper as-of date, with the floor:\n")
    print("| as of | active | at risk | dormant | dormant ÷ active |\n| --- | ---: | ---: | ---: | ---: |")
    for as_of in used:
        one, _ = lifecycle_rates(
            deals, [as_of], next_days=args.next_days, dormancy=args.dormancy_days, new_days=args.new_days, share=0.5
        )
        r = one["rate"]
        print(f"| {as_of} | {r['active']:.3f} | {r['at_risk']:.3f} | {r['dormant']:.3f} | {r['dormant'] / r['active']:.2f} |")


def print_reactivations(deals: pd.DataFrame, args: argparse.Namespace) -> None:
    ids = np.sort(deals["account_id"].unique())
    ends = month_ends("2011-03-31", "2011-11-30")
    found = []
    for before, after in pairwise(ends):
        stage = lifecycle(ids, deals_as_of(deals, before), as_of=before, dormancy_days=args.dormancy_days, new_days=args.new_days)
        found.append(reactivations(ids, stage, deals, since=before, as_of=after))
    every = pd.concat(found)
    per_month = reactivations_by_month(every["reactivated_on"])
    print("\n## 2. Reactivations: dormant at a month-end, bought before the next")
    print("| month | reactivations |\n| --- | ---: |")
    for month, n in per_month.items():
        print(f"| {month} | {n} |")


def geometric_survival(periods: np.ndarray, lost: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The simple alternative: one constant retention rate for everyone (MLE of a geometric lifetime)."""
    exposure = float(periods.sum() + lost.sum())  # a lost customer lived k periods and failed in the (k+1)-th
    churn = float(lost.sum()) / exposure
    return np.asarray((1 - churn) ** t, dtype=float)


def print_retention(purchases: pd.DataFrame, args: argparse.Namespace) -> None:
    as_of = LAST_DAY.date()
    t0 = time.perf_counter()
    report = measure_retention(purchases, as_of=as_of, dormancy_days=args.dormancy_days, periods_per_year=12)
    took = time.perf_counter() - t0
    print(f"\n## 3. Retention as of {as_of} (monthly periods, dormancy {args.dormancy_days} days; {took:.1f} s)")
    print(f"model: {report.model} ({report.reason}); customers {report.customers:,}, lost {report.lost:,}, ", end="")
    print(f"history {report.history_periods} whole months")
    if report.sbg is not None:
        print(f"sBG alpha {report.sbg.alpha_:.3f}, beta {report.sbg.beta_:.3f}")
    for per_year, name in ((4, "quarterly"), (1, "yearly")):
        other = measure_retention(purchases, as_of=as_of, dormancy_days=args.dormancy_days, periods_per_year=per_year)
        print(f"with {name} periods instead: model {other.model} ({other.reason}, {other.history_periods} whole periods)")
    print("\n| after | classic | Kaplan–Meier (measured) | sBG projection |\n| --- | ---: | ---: | ---: |")
    curves = report.curves
    for years in curves.index:
        measured = float(curves["kaplan_meier"][years])
        km_text = "—" if np.isnan(measured) else f"{measured:.1%}"
        print(f"| {years} year(s) | {curves['classic'][years]:.1%} | {km_text} | {curves['model'][years]:.1%} |")
    km = report.kaplan_meier
    grid = np.arange(1, 9) * DAYS_PER_YEAR / 12
    pos = np.searchsorted(km.index.to_numpy(float), grid, side="right") - 1
    surv, lower, upper = (km[c].to_numpy(float)[pos] for c in ("survival", "lower", "upper"))
    print("\n| months | Kaplan–Meier | 95% interval | sBG |\n| ---: | ---: | --- | ---: |")
    for i, m in enumerate(range(1, 9)):
        model = float(report.sbg.survival(m)) if report.sbg is not None else float("nan")
        print(f"| {m} | {surv[i]:.1%} | {lower[i]:.1%} – {upper[i]:.1%} | {model:.1%} |")
    q = report.cohorts_quarterly
    print("\n**Quarterly cohorts** (share of each first-purchase quarter that bought in quarter +k):\n")
    cols = list(q.active.columns)
    print("| cohort | customers | " + " | ".join(f"+{c}" for c in cols) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in cols) + " |")
    shares = q.active.to_numpy(float)
    for i, (cohort, size) in enumerate(q.sizes.items()):
        vals = ["" if np.isnan(v) else f"{v:.0%}" for v in shares[i]]
        print(f"| {cohort} | {size:,} | " + " | ".join(vals) + " |")
    print("\n**Forecast** of today's customers (not dormant), last 12 months' revenue at stake (GBP):\n")
    print("| after | model | remaining (90%) | revenue at stake (90%) | classic curve: remaining | at stake |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for years in report.forecast.index:
        f, c = report.forecast.loc[years], report.forecast_classic.loc[years]
        print(
            f"| {years} year(s) | {report.model} | {f['remaining']:,.0f} of {int(f['customers']):,} "
            f"({f['remaining_low']:,.0f} – {f['remaining_high']:,.0f}) | {f['revenue_at_stake']:,.0f} "
            f"({f['revenue_at_stake_low']:,.0f} – {f['revenue_at_stake_high']:,.0f}) | {c['remaining']:,.0f} "
            f"| {c['revenue_at_stake']:,.0f} |"
        )


def print_sbg_backtest(purchases: pd.DataFrame, args: argparse.Namespace) -> None:
    full = customer_lifetimes(purchases, as_of=LAST_DAY.date(), dormancy_days=args.dormancy_days)
    print("\n## 4. sBG fitted on the first months, against the retention observed afterwards")
    for fit_as_of in args.fit_as_of:
        early = customer_lifetimes(purchases, as_of=fit_as_of, dormancy_days=args.dormancy_days)
        periods, lost = survival_periods(early, periods_per_year=12, dormancy_days=args.dormancy_days)
        model = ShiftedBetaGeometric(periods_per_year=12).fit(periods, lost)
        # the same customers, seen with every purchase up to the end of the data
        later = full.loc[early.index]
        km = kaplan_meier(later)
        months = np.arange(1, 10)
        grid = months * DAYS_PER_YEAR / 12
        days = km.index.to_numpy(float)
        pos = np.searchsorted(days, grid, side="right") - 1
        observed = np.where(grid <= days.max(), km["survival"].to_numpy(float)[pos], np.nan)
        low = np.where(grid <= days.max(), km["lower"].to_numpy(float)[pos], np.nan)
        high = np.where(grid <= days.max(), km["upper"].to_numpy(float)[pos], np.nan)
        sbg = model.survival(months)
        geo = geometric_survival(periods.astype(float), lost, months.astype(float))
        print(
            f"\nfit on purchases up to {fit_as_of}: {len(early):,} customers, {int(lost.sum()):,} losses seen, "
            f"{int(periods.max())} whole months of history; alpha {model.alpha_:.3f}, beta {model.beta_:.3f}\n"
        )
        print("| month | observed after (Kaplan–Meier, 95%) | sBG projection | constant retention | seen in the fit? |")
        print("| ---: | ---: | ---: | ---: | --- |")
        for i, m in enumerate(months):
            obs = "—" if np.isnan(observed[i]) else f"{observed[i]:.1%} ({low[i]:.1%} – {high[i]:.1%})"
            seen = "yes" if m <= periods.max() else "no: projected"
            print(f"| {m} | {obs} | {sbg[i]:.1%} | {geo[i]:.1%} | {seen} |")
        out = [i for i, m in enumerate(months) if m > periods.max() and not np.isnan(observed[i])]
        if out:
            err_sbg = float(np.mean(np.abs(sbg[out] - observed[out])))
            err_geo = float(np.mean(np.abs(geo[out] - observed[out])))
            print(
                f"\nmean absolute error on the projected months: sBG {err_sbg * 100:.1f} points, "
                f"constant retention {err_geo * 100:.1f} points"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dormancy-days", type=int, default=120)
    parser.add_argument("--new-days", type=int, default=120)
    parser.add_argument("--next-days", type=int, default=30)
    parser.add_argument("--first-as-of", default="2011-04-30", help="the first month-end when dormancy can be seen")
    parser.add_argument("--last-as-of", default="2011-11-30")
    parser.add_argument("--fit-as-of", type=date.fromisoformat, nargs="+", default=[date(2011, 7, 31), date(2011, 8, 31)])
    args = parser.parse_args()
    t0 = time.perf_counter()
    deals = load_deals()
    purchases = purchases_from_deals(deals)
    print(f"{len(deals):,} purchases of {deals['account_id'].nunique():,} customers read in {time.perf_counter() - t0:.1f} s")
    print_lifecycle(deals, args)
    print_reactivations(deals, args)
    print_retention(purchases, args)
    print_sbg_backtest(purchases, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
