"""The effort page: activity time against won revenue per zone (and per rep)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from django.db.models import F, Sum
from django.utils import timezone

from kokyaku.crm.models import Activity, Deal, Rep
from kokyaku.domain.portfolio import effort_vs_return
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.selectors.snapshots import row_in


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Return [start's midnight, the midnight after ``end``) in the current time zone."""
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


@dataclass(frozen=True)
class EffortRow:
    """Time spent and revenue won in one zone (of one rep, per rep); shares are within the whole table."""

    zone: str
    minutes: float
    hours: float
    revenue: float
    revenue_per_hour: float | None  # None when no time was spent
    effort_share: float  # 0-1
    revenue_share: float  # 0-1
    rep_id: int | None = None
    rep: str | None = None


def _finite(value: object) -> float | None:
    x = float(value)  # type: ignore[arg-type]
    return x if math.isfinite(x) else None


def _effort_frames(snapshot: Snapshot, start: date, end: date, rep_key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activity minutes and won revenue per (rep and) zone, exact (int, Decimal): two aggregate queries.

    Each activity's and deal's zone comes from a join to the snapshot's rows, not a subquery per row.
    """
    lo, hi = day_bounds(start, end)
    minutes = pd.DataFrame.from_records(
        list(
            Activity.objects.filter(occurred_at__gte=lo, occurred_at__lt=hi)
            .annotate(_row=row_in(snapshot), zone=F("_row__zone"))
            .values(*rep_key, "zone")
            .annotate(minutes=Sum("minutes"))
            .order_by()
        ),
        columns=[*rep_key, "zone", "minutes"],
    )
    revenue = pd.DataFrame.from_records(
        list(
            Deal.objects.filter(status=Deal.Status.WON, closed_on__gte=start, closed_on__lte=end)
            .annotate(_row=row_in(snapshot), zone=F("_row__zone"), rep_id=F("owner_id"))
            .values(*rep_key, "zone")
            .annotate(revenue=Sum("amount"))
            .order_by()
        ),
        columns=[*rep_key, "zone", "revenue"],
    )
    for frame in (minutes, revenue):
        frame["zone"] = frame["zone"].fillna("").astype(object)
    return minutes, revenue


def _effort_rows(minutes: pd.DataFrame, revenue: pd.DataFrame, *, per_rep: bool) -> list[EffortRow]:
    """The domain core's ratios over the exact sums, as records (per rep: with the names, one query)."""
    rep_key = ["rep_id"] if per_rep else []
    minutes, revenue = minutes.copy(), revenue.copy()
    minutes["minutes"] = minutes["minutes"].astype(float)
    revenue["revenue"] = revenue["revenue"].astype(float)
    out = effort_vs_return(minutes, revenue, by=(*rep_key, "zone"))
    names = dict(Rep.objects.values_list("id", "name")) if per_rep else {}
    rows = []
    for r in out.to_dict("records"):
        rep_id = _finite(r["rep_id"]) if per_rep else None
        rows.append(
            EffortRow(
                zone=str(r["zone"]),
                minutes=float(r["minutes"]),
                hours=float(r["hours"]),
                revenue=float(r["revenue"]),
                revenue_per_hour=_finite(r["revenue_per_hour"]),
                effort_share=float(r["effort_share"]),
                revenue_share=float(r["revenue_share"]),
                rep_id=None if rep_id is None else int(rep_id),
                rep=None if not per_rep else names.get(int(rep_id), "") if rep_id is not None else "",
            )
        )
    return rows


def effort_return(snapshot: Snapshot, *, start: date, end: date, per_rep: bool = False) -> list[EffortRow]:
    """Activity minutes vs won revenue per zone (and per rep) between two dates, inclusive.

    Zones are those of ``snapshot``. Two aggregate queries (three per rep, with the names); the
    ratios come from the domain core. Activities and deals count under the rep who did / owns them.
    Rows by zone (A, B, C, unzoned), per rep by rep id first.
    """
    rep_key = ["rep_id"] if per_rep else []
    minutes, revenue = _effort_frames(snapshot, start, end, rep_key)
    return _effort_rows(minutes, revenue, per_rep=per_rep)


def _by_zone(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Sum a per-rep frame over the reps as SQL's SUM would: exact (ints, Decimals), None only if all are."""
    sums: dict[str, Any] = {}
    for zone, value in zip(frame["zone"], frame[column], strict=True):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            sums.setdefault(zone, None)
        else:
            sums[zone] = (sums.get(zone) or 0) + value
    return pd.DataFrame({"zone": list(sums), column: list(sums.values())}, columns=["zone", column])


def effort_tables(snapshot: Snapshot, *, start: date, end: date) -> tuple[list[EffortRow], list[EffortRow]]:
    """The effort page's two tables, per zone and per rep and zone, from one read (three queries).

    The same rows as ``effort_return(...)`` and ``effort_return(..., per_rep=True)``; the team's
    sums are added up from the per-rep ones instead of aggregating the activities a second time.
    """
    minutes, revenue = _effort_frames(snapshot, start, end, ["rep_id"])
    team = _effort_rows(_by_zone(minutes, "minutes"), _by_zone(revenue, "revenue"), per_rep=False)
    return team, _effort_rows(minutes, revenue, per_rep=True)
