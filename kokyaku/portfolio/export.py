"""The portfolio's tables as files: what the web's download buttons and ``kokyaku export`` write.

Each ``*_export`` function describes one page's table (and its summary sheets) as an
:class:`Export` of :class:`~kokyaku.lib.tabular.Sheet` s whose rows stream from the selectors;
:func:`write` hands it to the shared writer (:mod:`kokyaku.lib.tabular`) as CSV (the first
sheet: UTF-8 with BOM or cp932) or XLSX (every sheet). Headers and codes are in the active
language (``translation.override`` around the call); money is in the company currency.

The accounts workbook has ONE sheet of accounts with the rep as a column (autofilter on), then
the team matrix and the per-rep breakdown; a filtered export (one rep, one zone, a search...) of
at most :data:`PER_REP_SHEETS_MAX` reps adds one sheet per rep.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.db.models import F
from django.utils.translation import get_language, gettext, pgettext

from kokyaku.crm.models import Account
from kokyaku.crm.selectors import company_settings
from kokyaku.domain.portfolio import ZONES
from kokyaku.lib.tabular import Column, Sheet, TabularError, XlsxStyle, XlsxWriter, money_format, write_csv
from kokyaku.portfolio import selectors
from kokyaku.portfolio.models import Lifecycle, ProbabilitySource, Snapshot
from kokyaku.portfolio.selectors import EffortRow, Row, TargetRow
from kokyaku.portfolio.selectors.rows import BY_EXPECTED_VALUE

PER_REP_SHEETS_MAX = 30
ZONE_FILLS = {"A": "C6EFCE", "B": "FFEB9C", "C": "F2F2F2"}
FORMATS = ("xlsx", "csv")


class ExportError(Exception):
    """The export cannot be written as asked; the message says which row and why."""


@dataclass
class Export:
    """One page's download: its sheets (the first is the CSV), the lines above each header, a file name."""

    name: str
    sheets: list[Sheet]
    heading: list[str] = field(default_factory=list)
    extra_sheets: Callable[[], Iterator[Sheet]] | None = None  # built after the first sheets (per-rep sheets)


def _zone(zone: str | None) -> str:
    return zone if zone else gettext("Unzoned")


def _labels(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _yes(value: bool) -> str:
    return pgettext("export", "Yes") if value else ""


# ---- the accounts (the accounts page, my portfolio, the CLI) ----------------------------------


def _account_columns(*, review: bool = False) -> list[Column]:
    columns = [
        Column(pgettext("export", "Account code")),
        Column(pgettext("export", "Account")),
        Column(gettext("Owner")),
        Column(gettext("Zone")),
        *([Column(pgettext("export", "Previous zone")), Column(pgettext("export", "Direction"))] if review else []),
        Column(gettext("Unit price"), "money"),
        Column(gettext("Win probability"), "percent"),
        Column(pgettext("export", "Probability source")),
        Column(gettext("Expected value"), "money"),
        Column(gettext("Buyer type")),
        Column(gettext("Lifecycle")),
        Column(gettext("Near boundary")),
        Column(gettext("As of"), "date"),
    ]
    return columns


def _account_cells(rows: Iterator[Row], as_of: date, *, review: bool = False) -> Iterator[tuple[Any, ...]]:
    sources, buyers, lifecycles = _labels(ProbabilitySource), _labels(Account.BuyerType), _labels(Lifecycle)
    up, down = gettext("Up"), gettext("Down")
    for r in rows:
        moved = (_zone(r.previous_zone), up if r.direction == "up" else down) if review else ()
        yield (
            r.account_external_id, r.account_name, r.owner or gettext("(unassigned)"), _zone(r.zone), *moved,
            r.unit_price, r.win_probability, sources.get(r.probability_source, r.probability_source), r.expected_value,
            buyers.get(r.buyer_type, r.buyer_type), lifecycles.get(r.lifecycle, r.lifecycle), _yes(r.near_boundary), as_of,
        )  # fmt: skip


def _zone_fill(zone_at: int) -> Callable[[Sequence[Any]], str | None]:
    labels = {_zone(z): ZONE_FILLS[z] for z in ZONES}
    return lambda row: labels.get(row[zone_at])


def _by_owner(qs: Any) -> Any:
    return qs.order_by(F("owner__name").asc(nulls_last=True), "owner_id", *BY_EXPECTED_VALUE)


def _snapshot_line(snapshot: Snapshot) -> str:
    return gettext("Snapshot #%(id)s as of %(as_of)s") % {"id": snapshot.pk, "as_of": snapshot.as_of.isoformat()}


def accounts_export(snapshot: Snapshot, *, filters: dict[str, Any] | None = None, mine: bool = False) -> Export:
    """The accounts of a snapshot with the accounts table's filters: one sheet, the summaries, per-rep sheets when filtered."""
    filters = {k: v for k, v in (filters or {}).items() if (v is not None and v != "") or (k == "zone" and v == "")}
    qs = selectors.portfolio_filtered(snapshot, **filters)
    title = gettext("My portfolio") if mine else pgettext("export", "Accounts")
    columns = _account_columns()
    main = Sheet(
        title, columns, _account_cells(selectors.rows_iter(_by_owner(qs)), snapshot.as_of), fills=_zone_fill(3), fill_at=3
    )
    owner_id = filters.get("owner_id")
    export = Export(
        name=f"{'my-portfolio' if mine else 'accounts'}-{snapshot.as_of.isoformat()}",
        sheets=[main, *_summary_sheets(snapshot, owner_id=owner_id)],
        heading=[_snapshot_line(snapshot)],
    )
    if filters:

        def per_rep() -> Iterator[Sheet]:
            owners = list(qs.order_by().values_list("owner_id", "owner__name").distinct()[: PER_REP_SHEETS_MAX + 1])
            if not 1 < len(owners) <= PER_REP_SHEETS_MAX:  # one rep: the first sheet already is theirs
                return
            for oid, name in sorted(owners, key=lambda o: (o[1] is None, o[1] or "", o[0] or 0)):
                rows = qs.filter(owner_id=oid) if oid is not None else qs.filter(owner_id__isnull=True)
                cells = _account_cells(selectors.rows_iter(_by_owner(rows)), snapshot.as_of)
                yield Sheet(name or gettext("(unassigned)"), columns, cells, fills=_zone_fill(3), fill_at=3)

        export.extra_sheets = per_rep
    return export


def _summary_sheets(snapshot: Snapshot, *, owner_id: int | None = None, per_rep: bool = True) -> list[Sheet]:
    """The matrix (accounts per band × band), the zones and the per-rep breakdown; one rep's when ``owner_id`` is given."""
    matrix = selectors.team_matrix(snapshot, owner_id=owner_id)
    bands = {"high": gettext("High"), "mid": gettext("Mid"), "low": gettext("Low")}
    grid = Sheet(
        gettext("Matrix"),
        [Column(pgettext("export", "Unit price \\ probability")), *(Column(bands[b], "int") for b in ("high", "mid", "low"))],
        [(bands[row[0].price_band], *(cell.accounts for cell in row)) for row in matrix.cells],
        autofilter=False,
    )
    zones = Sheet(
        gettext("Zones"),
        [Column(gettext("Zone")), Column(pgettext("export", "Accounts"), "int"), Column(gettext("Expected value"), "money")],
        [
            *((z, matrix.zone_accounts[z], matrix.zone_expected_value[z]) for z in ZONES),
            (gettext("Unzoned"), matrix.unzoned, None),
        ],
        fills=_zone_fill(0),
        fill_at=0,
        autofilter=False,
    )
    sheets = [grid, zones]
    if owner_id is None and per_rep:
        sheets.append(rep_breakdown_sheet(snapshot))
    return sheets


def rep_breakdown_sheet(snapshot: Snapshot) -> Sheet:
    """Every owner's counts per zone and expected value (the team page's table, all reps)."""
    columns = [
        Column(gettext("Owner")), Column(pgettext("export", "Accounts"), "int"),
        *(Column(gettext("Zone %(zone)s") % {"zone": z}, "int") for z in ZONES),
        Column(gettext("Unzoned"), "int"), Column(gettext("Near boundary"), "int"), Column(gettext("Dormant"), "int"),
        Column(gettext("Expected value"), "money"), Column(pgettext("export", "Expected value in zone A"), "money"),
    ]  # fmt: skip
    rows = (
        (
            r.owner or gettext("(unassigned)"),
            r.accounts,
            *(r.zones[z] for z in ZONES),
            r.unzoned,
            r.near_boundary,
            r.dormant,
            r.expected_value,
            r.expected_value_a,
        )
        for r in selectors.rep_breakdown(snapshot)
    )
    return Sheet(pgettext("export", "Per rep"), columns, rows)


def team_export(snapshot: Snapshot) -> Export:
    """The team page: the per-rep breakdown (the CSV), then the matrix and zones."""
    return Export(
        name=f"team-{snapshot.as_of.isoformat()}",
        sheets=[rep_breakdown_sheet(snapshot), *_summary_sheets(snapshot, per_rep=False)],
        heading=[_snapshot_line(snapshot)],
    )


# ---- review, effort, targets ------------------------------------------------------------------


def review_export(before: Snapshot, after: Snapshot, *, direction: str | None = None, owner_id: int | None = None) -> Export:
    """The review's moves between two snapshots (all of them, by owner), then the from × to migration."""
    columns = _account_columns(review=True)
    moves = selectors.zone_moves_iter(after, previous=before, direction=direction, owner_id=owner_id)
    migration = selectors.zone_migration(before, after)
    labels = [*ZONES, ""]
    grid = Sheet(
        pgettext("export", "Migration"),
        [Column(pgettext("export", "From \\ to")), *(Column(_zone(z), "int") for z in labels)],
        [(_zone(f), *(migration.counts[f][t] for t in labels)) for f in labels],
        autofilter=False,
    )
    line = gettext("Zone moves from snapshot #%(before)s (%(b)s) to #%(after)s (%(a)s)") % {
        "before": before.pk, "b": before.as_of.isoformat(), "after": after.pk, "a": after.as_of.isoformat(),
    }  # fmt: skip
    return Export(
        name=f"review-{before.as_of.isoformat()}-{after.as_of.isoformat()}",
        sheets=[
            Sheet(gettext("Review"), columns, _account_cells(moves, after.as_of, review=True), fills=_zone_fill(3), fill_at=3),
            grid,
        ],
        heading=[line],
    )


def _effort_columns(per_rep: bool) -> list[Column]:
    return [
        *([Column(gettext("Rep"))] if per_rep else []),
        Column(gettext("Zone")), Column(gettext("Hours"), "number"), Column(pgettext("export", "Share of time"), "percent"),
        Column(gettext("Won revenue"), "money"), Column(pgettext("export", "Share of revenue"), "percent"),
        Column(gettext("Revenue per hour"), "money"),
    ]  # fmt: skip


def _effort_cells(rows: list[EffortRow], per_rep: bool) -> Iterator[tuple[Any, ...]]:
    for r in rows:
        rep = (r.rep or gettext("(unassigned)"),) if per_rep else ()
        yield (*rep, _zone(r.zone), r.hours, r.effort_share, r.revenue, r.revenue_share, r.revenue_per_hour)


def effort_export(snapshot: Snapshot, *, start: date, end: date) -> Export:
    """Effort vs return per rep and zone (the CSV), then the team's per zone."""
    per_rep = sorted(
        selectors.effort_return(snapshot, start=start, end=end, per_rep=True), key=lambda r: (r.rep or "\uffff", r.zone or "Z")
    )
    team = selectors.effort_return(snapshot, start=start, end=end)
    line = gettext("Effort vs return, %(start)s – %(end)s (zones of snapshot #%(id)s as of %(as_of)s)") % {
        "start": start.isoformat(), "end": end.isoformat(), "id": snapshot.pk, "as_of": snapshot.as_of.isoformat(),
    }  # fmt: skip
    return Export(
        name=f"effort-{start.isoformat()}-{end.isoformat()}",
        sheets=[
            Sheet(
                pgettext("export", "Per rep"), _effort_columns(True), _effort_cells(per_rep, True), fills=_zone_fill(1), fill_at=1
            ),
            Sheet(
                gettext("Team"),
                _effort_columns(False),
                _effort_cells(team, False),
                fills=_zone_fill(0),
                fill_at=0,
                autofilter=False,
            ),
        ],
        heading=[line],
    )


def _target_cells(r: TargetRow) -> tuple[Any, ...]:
    return (
        r.rep, r.target, r.won, r.attainment, r.pipeline, r.weighted_pipeline, r.yomi_won, r.yomi_high, r.yomi_mid,
        r.gap, r.gap_after_yomi, r.surplus,
    )  # fmt: skip


def targets_export(data: selectors.Targets, *, period_key: str, start: date, end: date) -> Export:
    """The 予実 of a period per rep (the CSV), with the team's line under it."""
    columns = [
        Column(gettext("Rep")), Column(gettext("Target"), "money"), Column(gettext("Won"), "money"),
        Column(gettext("Attainment"), "percent"), Column(pgettext("export", "Pipeline"), "money"),
        Column(gettext("Weighted pipeline"), "money"), Column(pgettext("export", "Forecast: won"), "money"),
        Column(pgettext("export", "Forecast: high (%(pct)s%%+)") % {"pct": data.high_pct}, "money"),
        Column(pgettext("export", "Forecast: mid (%(pct)s%%+)") % {"pct": data.mid_pct}, "money"),
        Column(gettext("Gap"), "money"), Column(pgettext("export", "Gap after forecast"), "money"),
        Column(pgettext("export", "Ahead of target by"), "money"),
    ]  # fmt: skip
    t = data.team
    team_row = (
        gettext("Team"), t.target, t.won, t.attainment, t.pipeline, t.weighted_pipeline, t.yomi_won, t.yomi_high,
        t.yomi_mid, t.gap, t.gap_after_yomi, t.surplus,
    )  # fmt: skip
    line = gettext("Targets %(period)s (%(start)s – %(end)s)") % {
        "period": period_key, "start": start.isoformat(), "end": end.isoformat(),
    }  # fmt: skip
    return Export(
        name=f"targets-{period_key}",
        sheets=[
            Sheet(gettext("Targets"), columns, (_target_cells(r) for r in data.reps)),
            Sheet(gettext("Team"), columns, [team_row], autofilter=False),
        ],
        heading=[line],
    )


# ---- writing ----------------------------------------------------------------------------------


def content_type(fmt: str, encoding: str = "utf-8-sig") -> str:
    if fmt == "xlsx":
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return f"text/csv; charset={'shift_jis' if encoding == 'cp932' else 'utf-8'}"


def write(export: Export, out: IO[bytes], *, fmt: str, encoding: str = "utf-8-sig") -> int:
    """Write ``export`` to a binary file: the first sheet as CSV, or every sheet as XLSX; return the first sheet's rows."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be xlsx or csv, got {fmt!r}")
    try:
        if fmt == "csv":
            return write_csv(out, export.sheets[0], encoding=encoding)
        book = XlsxWriter(XlsxStyle(money=money_format(company_settings().currency, get_language() or "en")))
        for sheet in export.sheets:
            book.add(sheet, heading=export.heading)
        for sheet in export.extra_sheets() if export.extra_sheets else ():
            book.add(sheet, heading=export.heading)
        book.save(out)
    except TabularError as exc:
        raise ExportError(str(exc)) from None
    return export.sheets[0].written


def write_file(export: Export, path: Path, *, fmt: str, encoding: str = "utf-8-sig") -> int:
    """Write to ``path`` through a temporary file that replaces it only when complete (nothing half-written)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".kokyaku-export-", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            count = write(export, fh, fmt=fmt, encoding=encoding)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def spooled(export: Export, *, fmt: str, encoding: str = "utf-8-sig") -> tuple[IO[bytes], int]:
    """Write to an anonymous temporary file (on disk, not in memory) and return it rewound, for a download."""
    fh = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    try:
        count = write(export, fh, fmt=fmt, encoding=encoding)
    except BaseException:
        fh.close()
        raise
    fh.seek(0)
    return fh, count


def filename(export: Export, fmt: str) -> str:
    return f"kokyaku-{export.name}.{fmt}"
