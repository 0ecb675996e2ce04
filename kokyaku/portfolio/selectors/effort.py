"""The effort page: activity time against won revenue per zone (and per rep)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import DateField, DecimalField, F, FilteredRelation, Q, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from kokyaku.crm.models import Activity, Deal, Rep
from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.domain.portfolio import effort_vs_return
from kokyaku.lib.currency import converted_sql
from kokyaku.portfolio.models import EffortMonth, Snapshot
from kokyaku.portfolio.selectors.rows import paging
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


EFFORT_MONTHS = 13  # stored with a snapshot: its as-of month and the twelve before (the page's default range)


def effort_window(as_of: date) -> date:
    """The first day of the first month whose effort a snapshot as of ``as_of`` stores."""
    first = as_of.replace(day=1)
    months = first.year * 12 + first.month - 1 - (EFFORT_MONTHS - 1)
    return date(months // 12, months % 12 + 1, 1)


def _rows_join(snapshot: Snapshot) -> Any:
    """The join to ``snapshot``'s rows, bounded by their stored id range when known (a range of the primary key)."""
    if snapshot.row_id_min is None or snapshot.row_id_max is None:
        return row_in(snapshot)
    path = "account__snapshot_rows"
    return FilteredRelation(
        path,
        condition=Q(
            **{f"{path}__snapshot": snapshot, f"{path}__id__gte": snapshot.row_id_min, f"{path}__id__lte": snapshot.row_id_max}
        ),
    )


def activity_minutes(snapshot: Snapshot, start: date, end: date, keys: list[str]) -> Any:  # QuerySet of dicts
    """Activity minutes between two days (inclusive) per ``keys`` (``rep_id``, ``month``) and ``zone`` in ``snapshot``."""
    lo, hi = day_bounds(start, end)
    return (
        Activity.objects.filter(occurred_at__gte=lo, occurred_at__lt=hi)
        .annotate(_row=_rows_join(snapshot), zone=Coalesce(F("_row__zone"), Value("")))
        .annotate(**({"month": TruncMonth("occurred_at", output_field=DateField())} if "month" in keys else {}))
        .values(*keys, "zone")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )


Money = tuple[str, Mapping[str, Decimal]]  # the company currency and its conversion rates


def money_now() -> Money:
    """The company currency and the conversion rates as they stand: two queries."""
    return company_settings().currency, conversion_rates()


def won_revenue(snapshot: Snapshot, start: date, end: date, keys: list[str], *, money: Money | None) -> Any:  # QuerySet of dicts
    """Won revenue closed between two days (inclusive) per ``keys`` (``rep_id``: the owner, ``month``) and ``zone``.

    In the company currency, as Home and the targets count it: ``money`` is (company currency,
    rates); a deal in a rated currency is summed × its rate by the database
    (:func:`kokyaku.lib.currency.converted_sql`), one in a currency without a rate left out.
    Without rates, a plain filter on the company currency and SUM of the column. ``money`` None:
    every deal as stored (only migration portfolio 0009, from before the rates).
    """
    deals = Deal.objects.filter(status=Deal.Status.WON, closed_on__gte=start, closed_on__lte=end)
    total: Any = Sum("amount")
    company, rates = money or ("", {})
    others = [code for code in rates if code != company]
    if others:
        amount, params = converted_sql(
            rates, company, amount=f"{Deal._meta.db_table}.amount", currency=f"{Deal._meta.db_table}.currency"
        )
        money_field: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
        total = Sum(RawSQL(amount, params, output_field=money_field))  # noqa: S611 - fixed SQL, values are bound
    if money is not None:
        deals = deals.filter(currency__in=[company, *others])
    return (
        deals.annotate(_row=_rows_join(snapshot), zone=Coalesce(F("_row__zone"), Value("")), rep_id=F("owner_id"))
        .annotate(**({"month": TruncMonth("closed_on")} if "month" in keys else {}))
        .values(*keys, "zone")
        .annotate(revenue=total)
        .order_by()
    )


def _live_frames(
    snapshot: Snapshot, start: date, end: date, rep_key: list[str], money: Money
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activity minutes and won revenue per (rep and) zone, exact (int, Decimal): two aggregate queries.

    Each activity's and deal's zone comes from a join to the snapshot's rows, not a subquery per row.
    """
    minutes = pd.DataFrame.from_records(
        list(activity_minutes(snapshot, start, end, rep_key)), columns=[*rep_key, "zone", "minutes"]
    )
    revenue = pd.DataFrame.from_records(
        list(won_revenue(snapshot, start, end, rep_key, money=money)), columns=[*rep_key, "zone", "revenue"]
    )
    return minutes, revenue


def _nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def stored_span(snapshot: Snapshot, start: date, end: date) -> tuple[date, date] | None:
    """The days of [start, end] read from the sums stored with ``snapshot``: whole stored months, or None.

    A stored month covers its days up to the as-of day; it is used when the range holds all of
    them. The months used are consecutive, so the rest of the range is at most a head before them
    and a tail after them (after the as-of day: what happened since the snapshot), read live.
    """
    if snapshot.effort_from is None:
        return None
    first = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    first = max(first, snapshot.effort_from)
    # Through the as-of day when the range reaches it, else through the last whole month in the range.
    month_before = end.replace(day=1) - timedelta(days=1)
    last = snapshot.as_of if end >= snapshot.as_of else end if _month_end(end) == end else month_before
    return (first, last) if first <= last else None


def _sum_frames(frames: list[pd.DataFrame], keys: list[str], column: str) -> pd.DataFrame:
    """Add up frames per key as SQL's SUM would: exact (ints, Decimals), None only if every part is."""
    sums: dict[tuple[Any, ...], Any] = {}
    for frame in frames:
        for record in frame[[*keys, column]].itertuples(index=False, name=None):
            key, value = tuple(None if _nan(k) else k for k in record[:-1]), record[-1]  # no rep: None, not NaN
            if value is None or (isinstance(value, float) and math.isnan(value)):
                sums.setdefault(key, None)
            else:
                sums[key] = (sums.get(key) or 0) + value
    return pd.DataFrame([[*k, v] for k, v in sums.items()], columns=[*keys, column])


ALL_REPS = "all"  # _stored_frames: every rep's rows


def _stored_frames(
    snapshot: Snapshot, span: tuple[date, date], reps: list[int | None] | str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored sums over the span's months: the team's per zone (``reps`` None), else per rep and zone.

    ``reps``: those rep ids (None in it: the rows without a rep), or ``ALL_REPS``.
    """
    qs = EffortMonth.objects.filter(snapshot=snapshot, month__gte=span[0], month__lte=span[1])
    keys = [] if reps is None else ["rep_id"]
    if reps is None:
        qs = qs.filter(per_rep=False)
    elif reps == ALL_REPS:
        qs = qs.filter(per_rep=True)
    else:
        ids = [r for r in reps if r is not None]
        wanted = Q(rep_id__in=ids) | Q(rep_id__isnull=True) if None in reps else Q(rep_id__in=ids)
        qs = qs.filter(wanted, per_rep=True)
    got = list(qs.values("kind", *keys, "zone").annotate(minutes=Sum("minutes"), revenue=Sum("revenue")).order_by())
    frames = []
    for kind, column in ((EffortMonth.Kind.MINUTES, "minutes"), (EffortMonth.Kind.REVENUE, "revenue")):
        records = [[*(r[k] for k in keys), r["zone"], r[column]] for r in got if r["kind"] == kind]
        frames.append(pd.DataFrame(records, columns=[*keys, "zone", column]))
    return frames[0], frames[1]


def _effort_rows(
    minutes: pd.DataFrame,
    revenue: pd.DataFrame,
    *,
    per_rep: bool,
    totals: tuple[float, float] | None = None,
    names: dict[int | None, str] | None = None,
) -> list[EffortRow]:
    """The domain core's ratios over the exact sums, as records (per rep: with the names, one query).

    ``totals`` (minutes, revenue of the whole team): the shares are taken of them, for a page of
    reps; by default of the frames' own sums. ``names``: the reps' names, if known.
    """
    rep_key = ["rep_id"] if per_rep else []
    minutes, revenue = minutes.copy(), revenue.copy()
    minutes["minutes"] = minutes["minutes"].astype(float)
    revenue["revenue"] = revenue["revenue"].astype(float)
    out = effort_vs_return(minutes, revenue, by=(*rep_key, "zone"))
    if totals is not None:
        out["effort_share"] = out["minutes"] / totals[0] if totals[0] > 0 else 0.0
        out["revenue_share"] = out["revenue"] / totals[1] if totals[1] > 0 else 0.0
    if per_rep and names is None:
        names = dict(Rep.objects.values_list("id", "name"))
    names = names or {}
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


def _parts(snapshot: Snapshot, start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The stored span of [start, end] and the live day ranges around it (the whole range when nothing is stored)."""
    span = stored_span(snapshot, start, end)
    if span is None:
        return None, [(start, end)]
    live = [(start, span[0] - timedelta(days=1))] if start < span[0] else []
    return span, [*live, *([(span[1] + timedelta(days=1), end)] if span[1] < end else [])]


def _money(live: list[tuple[date, date]], company: str | None) -> Money:
    """The company currency (``company``, else read) and the rates now, read only when there are live days to sum."""
    if not live:
        return "", {}
    return (company, conversion_rates()) if company else money_now()


def _team_frames(snapshot: Snapshot, start: date, end: date, company: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The team's minutes and revenue per zone over [start, end]: stored months plus the live days around them."""
    span, live = _parts(snapshot, start, end)
    parts = [_stored_frames(snapshot, span, None)] if span else []
    money = _money(live, company)
    parts += [_live_frames(snapshot, a, b, [], money) for a, b in live]
    return _sum_frames([m for m, _r in parts], ["zone"], "minutes"), _sum_frames([r for _m, r in parts], ["zone"], "revenue")


def _rep_frames(
    snapshot: Snapshot, start: date, end: date, reps: list[int | None] | str, company: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """Per rep and zone over [start, end] for ``reps`` (ids, or ``ALL_REPS``): stored months plus the live days.

    Also whether the live days hold anything without a rep.
    """
    span, live = _parts(snapshot, start, end)
    keys = ["rep_id", "zone"]
    parts, no_rep = [], False
    if span is not None:
        parts.append(_stored_frames(snapshot, span, reps))
    money = _money(live, company)
    for a, b in live:
        minutes, revenue = _live_frames(snapshot, a, b, ["rep_id"], money)
        no_rep = no_rep or bool(minutes["rep_id"].isna().any() or revenue["rep_id"].isna().any())
        if not isinstance(reps, str):  # not ALL_REPS: only those reps' live rows
            minutes, revenue = _only_reps(minutes, reps), _only_reps(revenue, reps)
        parts.append((minutes, revenue))
    return _sum_frames([m for m, _r in parts], keys, "minutes"), _sum_frames([r for _m, r in parts], keys, "revenue"), no_rep


def _only_reps(frame: pd.DataFrame, reps: list[int | None]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``rep_id`` is one of ``reps`` (None in it: the rows without a rep, NaN in pandas)."""
    ids, none = {r for r in reps if r is not None}, None in reps
    keep = [none if rep_id is None or _nan(rep_id) else int(rep_id) in ids for rep_id in frame["rep_id"]]
    return frame.loc[pd.Series(keep, index=frame.index, dtype=bool)]


def effort_return(
    snapshot: Snapshot, *, start: date, end: date, per_rep: bool = False, company: str | None = None
) -> list[EffortRow]:
    """Activity minutes vs won revenue per zone (and per rep) between two dates, inclusive.

    Zones are those of ``snapshot``. The whole months stored with the snapshot (up to its as-of
    day) are read from :class:`EffortMonth`; the days outside them (after the as-of day, or a
    partial month) are aggregated live. The ratios come from the domain core. Activities and deals
    count under the rep who did / owns them. Rows by zone (A, B, C, unzoned), per rep by rep id first.
    Revenue is in the company currency (:func:`won_revenue`): the stored months at the rates of
    when the snapshot was computed, the live days at the rates of now (read only when there are
    live days; ``company``: the company currency if the caller has it).
    """
    if per_rep:
        minutes, revenue, _no_rep = _rep_frames(snapshot, start, end, ALL_REPS, company)
    else:
        minutes, revenue = _team_frames(snapshot, start, end, company)
    return _effort_rows(minutes, revenue, per_rep=per_rep)


@dataclass(frozen=True)
class EffortTables:
    """The effort page's tables: the team's per zone, and one page of reps per rep and zone."""

    team: list[EffortRow]
    per_rep: list[EffortRow]  # the rows of the page's reps (shares of the whole team)
    reps: list[tuple[int | None, str]]  # the page's reps in order (None: activities and deals without a rep)
    reps_total: int  # every rep, and "no rep" when anything in the range has none
    page: int
    per_page: int


def effort_tables(
    snapshot: Snapshot, *, start: date, end: date, page: int = 1, per_page: int | None = None, company: str | None = None
) -> EffortTables:
    """The team's table and one page of the per-rep table (every rep by name, "no rep" last).

    Whole months come from the sums stored with the snapshot (the team's, and the page's reps'),
    the days around them from one live read per rep (the team's sums added up from it): the page
    costs the same with 150 reps or 15,000. ``per_page`` None: every rep on one page. A rep
    without activity or revenue in the range has a line with empty cells; "no rep" is listed
    when anything in the range has none. Revenue in the company currency as in :func:`effort_return`.
    """
    span, live = _parts(snapshot, start, end)
    money = _money(live, company)
    live_parts = [_live_frames(snapshot, a, b, ["rep_id"], money) for a, b in live]
    team_parts = [_stored_frames(snapshot, span, None)] if span else []
    team_parts += [(_sum_frames([m], ["zone"], "minutes"), _sum_frames([r], ["zone"], "revenue")) for m, r in live_parts]
    team_minutes = _sum_frames([m for m, _r in team_parts], ["zone"], "minutes")
    team = _effort_rows(team_minutes, _sum_frames([r for _m, r in team_parts], ["zone"], "revenue"), per_rep=False)
    no_rep = any(bool(m["rep_id"].isna().any() or r["rep_id"].isna().any()) for m, r in live_parts) or (
        span is not None
        and EffortMonth.objects.filter(
            snapshot=snapshot, per_rep=True, rep_id__isnull=True, month__gte=span[0], month__lte=span[1]
        ).exists()
    )
    reps = Rep.objects.order_by("name", "id")
    total = reps.count() + (1 if no_rep else 0)
    page, per_page, offset = (1, max(total, 1), 0) if per_page is None else paging(total, page, per_page)
    listed: list[tuple[int | None, str]] = list(reps.values_list("id", "name")[offset : offset + per_page])
    if no_rep and offset + per_page >= total:  # the last page
        listed.append((None, ""))
    ids = [pk for pk, _name in listed]
    parts = [_stored_frames(snapshot, span, ids)] if span else []
    parts += [(_only_reps(m, ids), _only_reps(r, ids)) for m, r in live_parts]
    keys = ["rep_id", "zone"]
    minutes, revenue = _sum_frames([m for m, _r in parts], keys, "minutes"), _sum_frames([r for _m, r in parts], keys, "revenue")
    totals = (float(sum(r.minutes for r in team)), float(sum(r.revenue for r in team)))
    rows = _effort_rows(minutes, revenue, per_rep=True, totals=totals, names=dict(listed))
    return EffortTables(team, rows, listed, total, page, per_page)
