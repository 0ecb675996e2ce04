"""Read an XLSX sheet as a person reads it: the header found below a title, merged cells filled, percent
cells as shown, a total row and the notes below it left out, formulas by their saved value. Pure: no
Django import. openpyxl's read-only (streaming) mode keeps memory to one chunk of rows."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any

import pandas as pd

from kokyaku.imports.errors import ImportFileError, Message, gettext_noop
from kokyaku.imports.japanese import normalise
from kokyaku.imports.table import (
    SUBTOTAL_LABELS,
    Table,
    cell_text,
    foot_note,
    is_total_label,
    subtotals_refused,
    unique_header,
)

HEADER_SCAN_ROWS = 30  # an XLSX's header is looked for among its first rows (a title, notes, a blank row above it)


def _has_formulas(fileobj: IO[bytes]) -> bool:
    with zipfile.ZipFile(fileobj) as archive:
        for info in archive.infolist():
            if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
                continue
            with archive.open(info) as member:
                tail = b""
                while block := member.read(1 << 20):
                    if b"<f>" in tail + block or b"<f " in tail + block:
                        return True
                    tail = block[-3:]
    fileobj.seek(0)
    return False


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _merged_ranges(ws: Any) -> list[list[Any]]:
    """[top, left, bottom, right, value] of each merged range of a read-only sheet (read from its XML,
    which openpyxl's read-only mode does not parse), sorted by top row."""
    from openpyxl.utils import column_index_from_string

    found: list[list[Any]] = []
    try:
        with ws.parent._archive.open(ws._worksheet_path) as member:
            tail = b""
            while block := member.read(1 << 20):
                text = tail + block
                cut = text.rfind(b"<")
                for m in _MERGE.finditer(text[:cut] if cut > 0 else text):
                    top, bottom = int(m[2]), int(m[4])
                    left, right = column_index_from_string(m[1].decode()), column_index_from_string(m[3].decode())
                    found.append([top, left, bottom, right, None])
                tail = text[cut:] if cut > 0 else b""
    except (AttributeError, KeyError):  # not a file-backed sheet: no merged ranges to read
        return []
    return sorted(found, key=lambda area: (area[0], area[1]))


def _percent_columns(ws: Any, header_at: int, width: int) -> list[int]:
    """The columns whose numbers in the first data rows are all formatted as percentages (Excel
    shows 0.5 as 50%); a column that mixes them with plain numbers is read as it is stored."""
    percent: set[int] = set()
    plain: set[int] = set()
    try:
        for row in ws.iter_rows(min_row=header_at + 1, max_row=header_at + 20, max_col=width):
            for col, cell in enumerate(row):
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    (percent if "%" in str(getattr(cell, "number_format", "") or "") else plain).add(col)
    except (AttributeError, KeyError, ValueError):  # no cells to look at: no percent columns
        return []
    return sorted(percent - plain)


def _header_of(rows: list[tuple[int, list[Any]]]) -> tuple[int, list[Any]] | None:
    """The header among a sheet's first rows: the first row of text cells at least half as wide as the
    widest row (a title has one cell, notes a few); failing that, the first non-empty row."""
    widths = [sum(1 for v in r if v is not None and str(v).strip()) for _n, r in rows]
    widest = max(widths, default=0)
    for (number, row), width in zip(rows, widths, strict=True):
        if width >= max(2, (widest + 1) // 2) and all(isinstance(v, str) for v in row if v is not None and str(v).strip()):
            return number, row
    return next(((n, r) for (n, r), w in zip(rows, widths, strict=True) if w), None)


def open_xlsx(
    fileobj: IO[bytes], *, name: str, sheet: str | None, chunk_rows: int, compressed: bool, header_row: int | None = None
) -> Table:
    """Stream an XLSX sheet with openpyxl's read-only mode.

    Formulas: the value Excel saved with the file is imported (what the user saw). A formula cell
    with no saved value (a file written by a program and never opened in Excel) is refused.
    """
    import openpyxl

    try:
        formulas = _has_formulas(fileobj)
        fileobj.seek(0)
        book = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
        formula_book = None
        if formulas:
            fileobj.seek(0)
            copy = io.BytesIO(fileobj.read())
            formula_book = openpyxl.load_workbook(copy, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError.of(gettext_noop("%(file)s is not a readable XLSX file (%(error)s)"), file=name, error=exc) from None
    if sheet is not None and sheet not in book.sheetnames:
        raise ImportFileError.of(
            gettext_noop("%(file)s has no sheet %(sheet)s; sheets: %(sheets)s"),
            file=name,
            sheet=repr(sheet),
            sheets=", ".join(book.sheetnames),
        )
    ws = book[sheet] if sheet else book.worksheets[0]
    rows: Iterator[tuple[Any, ...]] = ws.iter_rows(values_only=True)
    formula_rows: Iterator[tuple[Any, ...]] | None = None
    if formula_book is not None:
        formula_rows = (formula_book[ws.title]).iter_rows(values_only=True)
    counter = {"rows": 0}

    def close() -> None:
        book.close()
        if formula_book is not None:
            formula_book.close()
        fileobj.close()

    def next_row() -> tuple[Any, ...] | None:
        row = next(rows, None)
        if row is None:
            return None
        counter["rows"] += 1
        if formula_rows is not None:
            frow = next(formula_rows, ())
            for col, (value, formula) in enumerate(zip(row, frow, strict=False)):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    letter = openpyxl.utils.get_column_letter(col + 1)
                    raise ImportFileError.of(
                        gettext_noop(
                            "%(file)s: cell %(cell)s holds the formula %(formula)s with no saved value "
                            "(the file was never calculated in Excel); open and save it in Excel, or paste values, then retry"
                        ),
                        file=name,
                        cell=f"{letter}{counter['rows']}",
                        formula=formula,
                    )
        return row

    merged = _merged_ranges(ws)

    def filled_row() -> list[Any] | None:
        """The next row with each merged range's value in every cell of it, as a person reads the sheet."""
        row = next_row()
        if row is None:
            return None
        values = list(row)
        number = counter["rows"]
        for area in merged:
            top, left, bottom, right = area[:4]
            if top <= number <= bottom:
                if len(values) < right:
                    values.extend([None] * (right - len(values)))
                if number == top:
                    area[4] = values[left - 1]
                values[left - 1 : right] = [area[4]] * (right - left + 1)
        return values

    scanned: list[tuple[int, list[Any]]] = []
    while len(scanned) < max(HEADER_SCAN_ROWS, header_row or 0):
        got = filled_row()
        if got is None:
            break
        scanned.append((counter["rows"], got))
    if header_row is not None:
        chosen = next(((n, r) for n, r in scanned if n == header_row and any(v is not None for v in r)), None)
        if chosen is None:
            close()
            raise ImportFileError.of(
                gettext_noop("%(file)s: the header row %(row)s of the sheet %(sheet)s is empty or beyond its end"),
                file=name,
                row=header_row,
                sheet=repr(ws.title),
            )
    else:
        chosen = _header_of(scanned)
    if chosen is None:
        close()
        raise ImportFileError.of(
            gettext_noop("%(file)s is empty: the sheet %(sheet)s has no header row"), file=name, sheet=repr(ws.title)
        )
    header_at, first = chosen
    header = unique_header([cell_text(v) for v in first])
    width = len(header)
    total = int(ws.max_row or 0)
    notes: list[Message] = []
    percent = _percent_columns(ws, header_at, width)
    above = [n for n, r in scanned if n < header_at and any(v is not None for v in r)]
    if above:
        notes.append(
            Message(
                gettext_noop("%(file)s: the header is row %(row)s; rows %(rows)s above it (a title, notes) were left out"),
                file=name,
                row=header_at,
                rows=", ".join(map(str, above)),
            )
        )
    replay = [(n, r) for n, r in scanned if n > header_at]

    def rows_after_header() -> Iterator[tuple[int, list[Any]]]:
        yield from replay
        while (got := filled_row()) is not None:
            yield counter["rows"], got

    def chunks() -> Iterator[pd.DataFrame]:
        buffer: list[list[str]] = []
        index: list[int] = []
        seen_data = False
        foot: list[int] = []  # a total row and the notes below it
        foot_label = ""
        for number, row in rows_after_header():
            values = [cell_text(v) for v in row[:width]]
            for col in percent:  # a percent cell holds 0.5 for 50%: read it as the 50 a person sees
                if col < len(row) and isinstance(row[col], int | float) and not isinstance(row[col], bool):
                    values[col] = cell_text(round(float(row[col]) * 100, 9))
            filled = [v for v in values if v.strip()]
            if not filled:
                continue
            if is_total_label(filled[0]):
                if SUBTOTAL_LABELS.match(normalise(filled[0]).casefold()):
                    raise subtotals_refused(name, number, filled[0])
                foot.append(number)
                foot_label = foot_label or filled[0]
                continue
            if foot:
                if len(filled) <= 1:
                    foot.append(number)
                    continue
                raise subtotals_refused(name, foot[0], foot_label)
            values.extend([""] * (width - len(values)))
            buffer.append(values)
            index.append(number)
            if len(buffer) >= chunk_rows:
                seen_data = True
                yield pd.DataFrame(buffer, columns=header, index=index, dtype=str)
                buffer, index = [], []
        if buffer:
            seen_data = True
            yield pd.DataFrame(buffer, columns=header, index=index, dtype=str)
        if foot:
            notes.append(foot_note(name, foot))
        if not seen_data:
            raise ImportFileError.of(
                gettext_noop("%(file)s has a header (row %(row)s) but no data rows"), file=name, row=header_at
            )

    return Table(
        name=name,
        header=header,
        format="xlsx",
        encoding=None,
        delimiter=None,
        compressed=compressed,
        total=total,
        done=lambda: counter["rows"],
        _chunks=chunks(),
        _close=close,
        notes=notes,
    )
