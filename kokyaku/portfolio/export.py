"""Write a snapshot as CSV (for any tool) or XLSX (one sheet per rep plus the team matrix).

Both stream rows from the database (no full portfolio in memory) and write to a temporary file
that replaces ``path`` only when complete. Text that a spreadsheet would run as a formula
(starting with ``= + - @``, tab or carriage return) is neutralised.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from kokyaku.crm.selectors import company_settings
from kokyaku.lib.money import currency_places
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors import rep_breakdown, team_matrix

COLUMNS: tuple[str, ...] = (
    "account_external_id",
    "account_name",
    "owner",
    "zone",
    "unit_price",
    "win_probability",
    "probability_source",
    "expected_value",
    "buyer_type",
    "lifecycle",
    "near_boundary",
    "as_of",
)
_FIELDS = (
    "account__external_id",
    "account__name",
    "owner__name",
    "zone",
    "unit_price",
    "win_probability",
    "probability_source",
    "expected_value",
    "buyer_type",
    "lifecycle",
    "near_boundary",
)
ZONE_FILLS = {
    "A": PatternFill("solid", fgColor="C6EFCE"),
    "B": PatternFill("solid", fgColor="FFEB9C"),
    "C": PatternFill("solid", fgColor="F2F2F2"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_COLUMNS = frozenset({"unit_price", "expected_value"})


class ExportError(Exception):
    """The export cannot be written as asked; the message says which row and why."""


def neutralise(value: str) -> str:
    """Prefix text a spreadsheet would evaluate as a formula with an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _rows(snapshot: Snapshot, order: tuple[str, ...], extra: tuple[str, ...] = ()) -> Iterator[tuple[Any, ...]]:
    qs = SnapshotRow.objects.filter(snapshot=snapshot).order_by(*order).values_list(*_FIELDS, *extra)
    yield from qs.iterator(chunk_size=5000)


def _replace_atomically(path: Path, write: Any) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".kokyaku-export-", dir=path.parent or ".")
    os.close(fd)
    try:
        write(Path(tmp))
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return neutralise(value)
    return value


def export_csv(snapshot: Snapshot, path: Path, *, encoding: str = "utf-8-sig") -> int:
    """Write the snapshot's rows as CSV; return the number of rows.

    ``encoding`` "utf-8-sig" (default: Excel opens Japanese text correctly) or "cp932"; with
    cp932, a name that cannot be encoded stops the export with the account named, and no file
    is left behind.
    """
    if encoding not in ("utf-8-sig", "utf-8", "cp932"):
        raise ExportError(f"encoding must be utf-8-sig, utf-8 or cp932, got {encoding!r}")
    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        with tmp.open("w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            as_of = snapshot.as_of.isoformat()
            for row in _rows(snapshot, ("owner__name", "account__name", "account_id")):
                cells = [_csv_cell(v) for v in row] + [as_of]
                try:
                    writer.writerow(cells)
                except UnicodeEncodeError as exc:
                    raise ExportError(
                        f"row {count + 2} (account {row[0]}): {exc.object[exc.start : exc.end]!r} cannot be written "
                        f"in {encoding}; use --encoding utf-8-sig"
                    ) from None
                count += 1

    _replace_atomically(path, write)
    return count


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", name).strip("'") or "-"
    base = base[:28]
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:25]}~{n}"
        n += 1
    used.add(title.lower())
    return title


def _text_cell(ws: Any, value: str, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


def money_format(currency: str) -> str:
    """The spreadsheet number format of amounts in ``currency``: its own decimals (JPY none, USD 2, BHD 3)."""
    places = currency_places(currency)
    return "#,##0" + ("." + "0" * places if places else "")


def export_xlsx(snapshot: Snapshot, path: Path) -> int:
    """Write one sheet per rep (zone-coloured, frozen header, autofilter) plus the team matrix.

    Streams with openpyxl's write-only mode, so memory stays flat. Money cells keep their stored
    value and show the company currency's decimals (the CSV carries the stored values as they
    are). Returns the number of rows.
    """
    count = 0
    bold = Font(bold=True)
    money = money_format(company_settings().currency)
    money_at = {i for i, c in enumerate(COLUMNS) if c in MONEY_COLUMNS}

    def write(tmp: Path) -> None:
        nonlocal count
        wb = Workbook(write_only=True)
        used: set[str] = set()
        _matrix_sheet(wb, snapshot, used, bold)
        ws: Any = None
        current: object = object()
        rows_in_sheet = 0

        def close_sheet() -> None:
            if ws is not None:
                ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{rows_in_sheet + 1}"

        # owner_id rides along so that two reps with the same name still get a sheet each
        for *row, owner_id in _rows(snapshot, ("owner__name", "owner_id", "-expected_value", "account_id"), ("owner_id",)):
            owner = row[2]
            if owner_id != current:
                close_sheet()
                current = owner_id
                ws = wb.create_sheet(_sheet_title(owner or "(unassigned)", used))
                ws.freeze_panes = "A2"
                for i, width in enumerate((16, 36, 20, 6, 14, 10, 12, 14, 14, 10, 8, 12), start=1):
                    ws.column_dimensions[get_column_letter(i)].width = width
                ws.append([_text_cell(ws, c, font=bold) for c in COLUMNS])
                rows_in_sheet = 0
            fill = ZONE_FILLS.get(row[3])
            cells = []
            for i, value in enumerate((*row, snapshot.as_of)):
                if isinstance(value, str):
                    cell = _text_cell(ws, value)
                else:
                    cell = WriteOnlyCell(ws, value=float(value) if hasattr(value, "as_tuple") else value)
                    if i in money_at:
                        cell.number_format = money
                if fill is not None:
                    cell.fill = fill
                cells.append(cell)
            ws.append(cells)
            rows_in_sheet += 1
            count += 1
        close_sheet()
        wb.save(tmp)

    _replace_atomically(path, write)
    return count


def _matrix_sheet(wb: Workbook, snapshot: Snapshot, used: set[str], bold: Font) -> None:
    ws: Any = wb.create_sheet(_sheet_title("Team matrix", used))
    matrix = team_matrix(snapshot)
    ws.append([_text_cell(ws, f"Snapshot #{snapshot.pk} as of {snapshot.as_of.isoformat()}", font=bold)])
    ws.append([])
    ws.append([_text_cell(ws, s, font=bold) for s in ("unit price \\ probability", "high", "mid", "low")])
    for row in matrix.cells:
        cells: list[Any] = [_text_cell(ws, row[0].price_band, font=bold)]
        for cell in row:
            c = _text_cell(ws, f"{cell.zone}: {cell.accounts}")
            c.fill = ZONE_FILLS[cell.zone]
            cells.append(c)
        ws.append(cells)
    ws.append([])
    ws.append([_text_cell(ws, s, font=bold) for s in ("zone", "accounts", "expected value")])
    for zone in ("A", "B", "C"):
        ws.append([_text_cell(ws, zone), matrix.zone_accounts[zone], matrix.zone_expected_value[zone]])
    ws.append([_text_cell(ws, "unzoned"), matrix.unzoned, 0])
    ws.append([])
    ws.append(
        [_text_cell(ws, s, font=bold) for s in ("owner", "accounts", "A", "B", "C", "unzoned", "near boundary", "expected value")]
    )
    for r in rep_breakdown(snapshot):
        ws.append(
            [
                _text_cell(ws, r.owner or "(unassigned)"),
                r.accounts,
                r.zones["A"],
                r.zones["B"],
                r.zones["C"],
                r.unzoned,
                r.near_boundary,
                r.expected_value,
            ]
        )
