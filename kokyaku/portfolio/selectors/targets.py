"""The targets page (予実管理): per rep target, won, weighted pipeline, ヨミ and gap, and the accounts that could close it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from kokyaku.crm.models import Deal, Rep, Target
from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import accounts_to_close_gap, forecast_from_sums, team_forecast
from kokyaku.lib.bulk import read_frame
from kokyaku.lib.currency import converted_sql
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors.snapshots import snapshot_latest, stage_probabilities_for


def _finite(value: Any) -> float | None:
    x = float(value)
    return x if math.isfinite(x) else None


def _pct(part: float | None, whole: float) -> float | None:
    return None if part is None or whole <= 0 else part / whole * 100


@dataclass(frozen=True)
class GapAccount:
    """A zone-A account whose expected value could help close its owner's gap, with the running total."""

    account_id: int
    name: str
    expected_value: float
    cumulative_expected_value: float
    covers_gap: bool  # True on the account where the running total first reaches the gap


@dataclass(frozen=True)
class TargetRow:
    """One rep's 予実 for the period (money as floats in the company currency)."""

    rep_id: int
    rep: str
    target: float
    won: float
    pipeline: float
    weighted_pipeline: float
    yomi_won: float  # 確定
    yomi_high: float  # + deals at ``high`` or above (ヨミA)
    yomi_mid: float  # + deals at ``mid`` or above (ヨミB): the ヨミ
    gap: float  # target − won, 0 when ahead
    gap_after_yomi: float
    surplus: float  # won − target, 0 when behind
    surplus_after_yomi: float
    attainment: float | None  # won / target; None without a target
    accounts: list[GapAccount] = field(default_factory=list)

    @property
    def attainment_pct(self) -> float | None:
        return None if self.attainment is None else self.attainment * 100

    @property
    def yomi_pct(self) -> float | None:
        return _pct(self.yomi_mid, self.target)

    @property
    def accounts_ev(self) -> float:
        return sum(a.expected_value for a in self.accounts)


@dataclass(frozen=True)
class TeamTargets:
    """The team's sums, its own gap (target − won, not the sum of the reps' gaps) and the reps' shortfall apart."""

    target: float
    won: float
    pipeline: float
    weighted_pipeline: float
    yomi_won: float
    yomi_high: float
    yomi_mid: float
    gap: float
    surplus: float
    gap_after_yomi: float
    surplus_after_yomi: float
    attainment: float | None
    reps_behind: int
    reps_shortfall: float
    reps_behind_after_yomi: int
    reps_shortfall_after_yomi: float

    @property
    def attainment_pct(self) -> float | None:
        return None if self.attainment is None else self.attainment * 100


@dataclass(frozen=True)
class Targets:
    """The 予実 of a period: per rep (by name) and the team, with the ヨミ's probability thresholds."""

    reps: list[TargetRow]
    team: TeamTargets
    high: float
    mid: float
    reps_total: int = 0  # reps with a target (whose name matched a search): len(reps) unless only a page was asked for

    @property
    def high_pct(self) -> int:
        return round(self.high * 100)

    @property
    def mid_pct(self) -> int:
        return round(self.mid * 100)


def _gap_accounts(snapshot: Snapshot, gaps: pd.Series, per_rep: int) -> dict[int, list[GapAccount]]:
    """Per rep with a gap: the zone-A accounts (by expected value) whose expected value could close it. One query."""
    rep_with_gap = [int(r) for r in gaps.index[gaps > 0]]
    if not rep_with_gap or per_rep <= 0:
        return {}
    ranked = (
        SnapshotRow.objects.filter(snapshot=snapshot, zone="A", owner_id__in=rep_with_gap, expected_value__isnull=False)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("owner_id")], order_by=[F("expected_value").desc(), F("account_id").asc()])
        )
        .filter(rank__lte=per_rep * 5)
        .values_list("owner_id", "account_id", "account__name", "expected_value")
    )
    cand = pd.DataFrame.from_records(list(ranked), columns=["rep_id", "account_id", "name", "expected_value"])
    cand["expected_value"] = cand["expected_value"].astype(float)
    out: dict[int, list[GapAccount]] = {}
    for a in accounts_to_close_gap(cand, gaps, limit=per_rep).to_dict("records"):
        out.setdefault(int(a["rep_id"]), []).append(
            GapAccount(
                int(a["account_id"]), str(a["name"]), float(a["expected_value"]), float(a["cumulative_ev"]), bool(a["covers_gap"])
            )
        )
    return out


def _pipeline_sums(
    *,
    start: date,
    end: date,
    rep_ids: Sequence[int] | None,
    table: dict[str, float],
    high: float,
    mid: float,
    company: str,
    rates: Mapping[str, Decimal],
) -> pd.DataFrame:
    """The open deals expected to close in [start, end], summed per owner by the database: ``rep_id, amt, w, hi, md``.

    Each deal's probability is the rep's estimate, else its stage's in ``table`` (percent, joined
    as a small derived table: one hash probe per deal, not a CASE over every stage for each sum),
    else unknown (counted at 0), as :func:`~kokyaku.domain.portfolio.deal_probability` gives it.
    One GROUP BY read with :func:`~kokyaku.lib.bulk.read_frame` (COPY on PostgreSQL): a month's
    open deals at a million accounts (73,000) never come to Python, and the 15,000 sums come back
    as one CSV. The partial index ``crm_deal_open_expected_cover`` answers it from the index alone.
    Amounts are in the company currency ``company``: converted at ``rates``, a deal in a currency
    without a rate left out (:func:`kokyaku.lib.currency.converted_sql`).
    """
    if not (0 <= mid < high <= 1):  # as target_forecast refuses them
        raise DomainError(f"ヨミ thresholds must satisfy 0 <= mid < high <= 1, got mid={mid}, high={high}")
    deals = Deal._meta.db_table
    stages = (
        " UNION ALL ".join("SELECT %s AS stage, CAST(%s AS DOUBLE PRECISION) AS pct" for _ in table)
        or "SELECT NULL AS stage, CAST(NULL AS DOUBLE PRECISION) AS pct WHERE 1 = 0"
    )
    by_stage: list[Any] = [v for k, pct in table.items() for v in (str(k), float(pct))]
    owners = ""
    if rep_ids is not None:
        owners = " AND d.owner_id IN (" + (", ".join("%s" for _ in rep_ids) or "NULL") + ")"
    # Each deal's amount and probability as floats once, in a derived table: on PostgreSQL OFFSET 0
    # keeps the planner from folding it into the sums, which repeated the numeric -> float cast (a
    # text round trip there) in each of the four (a million accounts' month, 73,000 open deals into
    # 14,800 reps: 66-90 ms executing before, 42-54 ms so).
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    amount, converted = converted_sql(rates, company, amount="d.amount", currency="d.currency")
    sql = (
        "SELECT owner_id, SUM(a), SUM(a * p), SUM(a) FILTER (WHERE p >= %s), SUM(a) FILTER (WHERE p >= %s AND p < %s)"  # noqa: S608 (table and column names, placeholders)
        f" FROM (SELECT d.owner_id, CAST({amount} AS DOUBLE PRECISION) AS a,"
        " (COALESCE(CAST(d.probability AS DOUBLE PRECISION), s.pct) / 100.0) AS p"
        f" FROM {deals} d LEFT JOIN ({stages}) s ON s.stage = d.stage"
        f" WHERE d.status = %s AND d.expected_close_on >= %s AND d.expected_close_on <= %s AND d.owner_id IS NOT NULL{owners}"
        f"{fence}) x GROUP BY owner_id"
    )
    params = [high, mid, high, *converted, *by_stage, Deal.Status.OPEN, start, end, *(rep_ids or [])]  # in the order they appear
    frame = read_frame(sql, params, ["rep_id", "amt", "w", "hi", "md"])
    for col in ("amt", "w", "hi", "md"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float).fillna(0.0)
    return frame


def _frame(qs: QuerySet[Any], columns: list[str]) -> pd.DataFrame:
    """Read a values() query's rows into a frame with :func:`~kokyaku.lib.bulk.read_frame` (no per-row converters)."""
    sql, params = qs.query.sql_with_params()
    return read_frame(sql, params, columns)


def targets_view(
    *,
    start: date,
    end: date,
    snapshot: Snapshot | None = None,
    rep_ids: Sequence[int] | None = None,
    high: float = 0.7,
    mid: float = 0.4,
    accounts_per_rep: int = 10,
    reps_slice: slice | None = None,
    largest_gaps: int | None = None,
    rep_search: str = "",
    currency: str | None = None,
    rates: Mapping[str, Decimal] | None = None,
) -> Targets:
    """Return the 予実 of a period: per rep target, won, weighted pipeline, ヨミ and gap.

    Targets are those whose period lies inside [start, end]; reps without one are left out. Won
    deals count by ``closed_on``; open deals when their ``expected_close_on`` falls in the period
    (summed per rep by the database, see ``_pipeline_sums``), with the rep's probability, else the stage
    table of the snapshot's criteria (:func:`stage_probabilities_for`). An open deal whose
    expected date has passed stays in that date's period (see :func:`open_deal_dates`). Each rep
    behind target lists up to ``accounts_per_rep`` zone-A accounts (latest snapshot) whose expected
    value could close the gap. ``reps_slice`` keeps only those reps (by name; the team's figures
    and ``reps_total`` still count every rep), and looks up accounts for them alone: a page of a
    large sales organisation. ``largest_gaps``: only the reps behind with the largest gaps, that
    many, largest first (the manager's home: 10 of 15,000 reps, without a record per rep).
    ``rep_search``: only the reps whose name contains it (any case); ``reps_total`` then counts
    those, the team's figures still every rep. Money is in the company currency: a deal in another
    currency is converted at the company's rate (``crm.selectors.conversion_rates``), left out
    without one (``currency`` and ``rates``: the company's, read here unless the caller has them).
    Five queries, six without a snapshot, and one for each of ``currency`` and ``rates`` not given.
    """
    snapshot = snapshot or snapshot_latest()
    table = stage_probabilities_for(snapshot)
    company = company_settings().currency if currency is None else currency
    rates = conversion_rates() if rates is None else rates
    won_amount, won_params = converted_sql(rates, company)
    targets_qs = Target.objects.filter(period_start__gte=start, period_end__lte=end)
    won_qs = Deal.objects.filter(status=Deal.Status.WON, closed_on__gte=start, closed_on__lte=end)
    if rep_ids is not None:
        targets_qs = targets_qs.filter(rep_id__in=rep_ids)
        won_qs = won_qs.filter(owner_id__in=rep_ids)
    targets = _frame(targets_qs.values("rep_id").annotate(target=Sum("amount")).order_by(), ["rep_id", "target"])
    in_company_currency = RawSQL(won_amount, won_params, output_field=DecimalField())  # noqa: S611 - fixed SQL, values are bound
    won = _frame(
        won_qs.exclude(owner_id=None).values("owner_id").annotate(amount=Sum(in_company_currency)).order_by(),
        ["rep_id", "amount"],
    )
    pipe = _pipeline_sums(start=start, end=end, rep_ids=rep_ids, table=table, high=high, mid=mid, company=company, rates=rates)
    for frame, col in ((targets, "target"), (won, "amount")):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        frame["rep_id"] = frame["rep_id"].astype("int64")
    forecast = forecast_from_sums(targets, won, pipe)
    forecast = everyone = forecast.loc[forecast["target"].notna()].reset_index(drop=True)
    # Every rep's name (or the asked-for ones): cheaper than an IN list of thousands of ids to parse.
    reps_qs = Rep.objects.all() if rep_ids is None else Rep.objects.filter(id__in=rep_ids)
    names = dict(reps_qs.order_by().values_list("id", "name"))
    money = ("target", "won", "pipeline", "weighted_pipeline", "yomi_won", "yomi_high", "yomi_mid")
    forecast = forecast.assign(_name=[str(names.get(int(i), "")) for i in forecast["rep_id"]])
    if rep_search:
        forecast = forecast.loc[forecast["_name"].str.casefold().str.contains(rep_search.casefold(), regex=False)]
    reps_total = len(forecast)
    if largest_gaps is not None:
        forecast = forecast.loc[forecast["gap"] > 0]
        forecast = forecast.sort_values(["gap", "_name", "rep_id"], ascending=[False, True, True], kind="stable")
        forecast = forecast.head(largest_gaps)
    else:
        forecast = forecast.sort_values(["_name", "rep_id"], kind="stable")
        if reps_slice is not None:
            forecast = forecast.iloc[reps_slice]  # records for the page's reps only (15,000 reps: 50 records)
    reps = [
        TargetRow(
            rep_id=int(r["rep_id"]),
            rep=str(r["_name"]),
            **{c: float(r[c]) for c in (*money, "gap", "gap_after_yomi", "surplus", "surplus_after_yomi")},
            attainment=_finite(r["attainment"]),
            accounts=[],  # filled below, for the reps kept
        )
        for r in forecast.to_dict("records")
    ]
    if largest_gaps is not None and reps_slice is not None:
        reps = reps[reps_slice]
    gaps = pd.Series({r.rep_id: r.gap for r in reps}, dtype=float)
    accounts = _gap_accounts(snapshot, gaps, accounts_per_rep) if snapshot is not None else {}
    reps = [replace(r, accounts=accounts.get(r.rep_id, [])) for r in reps]
    team = team_forecast(everyone)
    counts = ("reps_behind", "reps_behind_after_yomi")
    team_targets = TeamTargets(
        **{k: (int(v) if k in counts else float(v)) for k, v in team.items() if k != "attainment"},  # type: ignore[arg-type]
        attainment=_finite(team["attainment"]),
    )
    return Targets(reps=reps, team=team_targets, high=high, mid=mid, reps_total=reps_total)


@dataclass(frozen=True)
class OpenDealDates:
    """Open deals no current period shows as the rep would expect: no expected date, or one already past."""

    undated: int
    overdue: int


def open_deal_dates(*, today: date, rep_ids: Sequence[int] | None = None) -> OpenDealDates:
    """Count the open deals no current period's pipeline shows as the rep would expect. One query.

    ``undated``: no expected close date, so in no period at all; ``overdue``: expected before
    ``today`` and still open, so they stay in a past period until the rep moves the date (real
    CRMs are full of these; the targets page asks for them to be re-dated).
    """
    qs = Deal.objects.filter(status=Deal.Status.OPEN)
    if rep_ids is not None:
        qs = qs.filter(owner_id__in=rep_ids)
    # Only status and expected_close_on are read, so the (status, expected_close_on) index answers alone.
    counts = qs.aggregate(
        open=Count("*"),
        dated=Count("expected_close_on"),
        overdue=Count("expected_close_on", filter=Q(expected_close_on__lt=today)),
    )
    return OpenDealDates(undated=int(counts["open"] - counts["dated"]), overdue=int(counts["overdue"] or 0))
