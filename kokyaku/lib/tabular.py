"""The one writer of every table Kokyaku hands out as a file: CSV (UTF-8 with BOM or cp932) and XLSX.

Callers describe a table once (:class:`Column` kinds, a header in the reader's language, rows as
an iterable of tuples) and get either format. Both stream: the CSV row by row, the XLSX with
openpyxl's write-only mode, so memory stays flat at a million rows (only the first
:data:`WIDTH_SAMPLE` rows of a sheet are held, to size its columns).

Formula injection: text a spreadsheet would evaluate (starting with ``= + - @``, tab or carriage
return, also after leading spaces and in the full-width forms ``＝ ＋ － ＠``) is neutralised: in CSV
with a leading apostrophe, in XLSX by storing it as a string cell with Excel's "quote prefix"
(shown and kept as text, never run as a formula; the text itself is unchanged).

XLSX sheets get real number formats (money with the currency symbol, ``0.0%`` for fractions,
dates as dates), columns as wide as their content, a frozen header row, an autofilter, and a
print setup (landscape, one page wide, the header repeated on every page). No Django here.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, Literal

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, get_currency_symbol

if TYPE_CHECKING:  # openpyxl is imported when a workbook is written: a CSV import or export never loads it (start-up)
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import PatternFill
    from openpyxl.styles.cell_style import StyleArray

Kind = Literal["text", "int", "number", "money", "percent", "date", "bool"]
ENCODINGS = ("utf-8-sig", "utf-8", "cp932")
WIDTH_SAMPLE = 500  # rows read ahead to size a sheet's columns
MAX_WIDTH = 60
MAX_ROWS = 1_048_576  # Excel's rows per sheet
_FORMULA_START = frozenset("=+-@\t\r＝＋－＠")


class TabularError(Exception):
    """A table cannot be written as asked; the message names the row, the column and the value."""


def is_formula_like(value: str) -> bool:
    """True when a spreadsheet could read ``value`` as a formula (leading spaces skipped)."""
    stripped = value.lstrip(" \u3000")
    return (bool(stripped) and stripped[0] in _FORMULA_START) or (bool(value) and value[0] in "\t\r")


def neutralise(value: str) -> str:
    """``value`` with an apostrophe in front when a spreadsheet would evaluate it, else unchanged."""
    return "'" + value if is_formula_like(value) else value


@dataclass(frozen=True)
class Column:
    """One column: its header (already in the reader's language) and the kind of its values."""

    header: str
    kind: Kind = "text"
    width: float | None = None  # characters; None: sized from the header and the first rows


@dataclass
class Sheet:
    """A table to write: one XLSX sheet, or the whole CSV.

    ``title`` names the sheet (cut to Excel's 31 characters); ``fills`` optionally maps a row to a
    background colour (hex "RRGGBB") for the cell in column ``fill_at`` (e.g. the zone), or for
    the whole row. Cells without a style are written as bare values, which is what keeps 100,000
    rows fast: every styled cell costs openpyxl a style lookup.
    """

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    fills: Any = None  # Callable[[Sequence[Any]], str | None]
    fill_at: int | None = None  # the one column ``fills`` colours; None: the whole row
    autofilter: bool = True
    written: int = field(default=0, init=False)


def display_width(text: str) -> int:
    """The width of ``text`` in a spreadsheet's character units: East Asian wide characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns, a wide character (漢字, カナ) taking two."""
    return text + " " * max(0, width - display_width(text))


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]], *, gap: int = 2) -> list[str]:
    """Lines of a plain-text table: the first column left-aligned, the others right-aligned, each as wide as its
    widest cell (a wide character counting two), ``gap`` spaces between."""
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(display_width(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [pad(row[0], widths[0])] + [" " * (w - display_width(c)) + c for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append((" " * gap).join(cells).rstrip())
    return lines


def money_format(currency: str, language: str = "en") -> str:
    """The number format of amounts in ``currency``: its symbol and decimals (``"¥"#,##0``, ``"$"#,##0.00``)."""
    code = (currency or "").upper()
    places = int(get_currency_precision(code))
    try:
        locale = Locale.parse((language or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    # NFKC: Japanese CLDR's full-width ￥ is the ¥ Excel's own yen formats use
    symbol = unicodedata.normalize("NFKC", get_currency_symbol(code, locale)).replace('"', "")
    number = "#,##0" + ("." + "0" * places if places else "")
    return f'"{symbol}"{number};-"{symbol}"{number}'


DATE_FORMAT = "yyyy-mm-dd"
FORMATS: dict[str, str] = {"int": "#,##0", "number": "#,##0.0", "percent": "0.0%", "date": DATE_FORMAT}
_DEFAULT_WIDTH: dict[str, int] = {"int": 8, "number": 10, "money": 14, "percent": 8, "date": 11, "bool": 6, "text": 8}


def _plain(value: Any, kind: str) -> Any:
    """A value as a spreadsheet cell wants it: Decimal as float, bool as 1/0 (CSV) or True/False, None empty."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if kind == "percent" and isinstance(value, (int, float)):
        return float(value)
    return value


# ---- CSV --------------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


class _Line:
    """A file-like sink for csv.writer that keeps the last line written."""

    line = ""

    def write(self, text: str) -> None:
        self.line = text


def csv_lines(sheet: Sheet, *, encoding: str = "utf-8-sig") -> Iterator[bytes]:
    """Yield the table as encoded CSV lines (the BOM first for ``utf-8-sig``).

    A value ``encoding`` cannot hold raises :class:`TabularError` naming its row (1 = header),
    column and value.
    """
    if encoding not in ENCODINGS:
        raise TabularError(f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")
    sink = _Line()
    writer = csv.writer(sink)
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    if encoding == "utf-8-sig":
        yield b"\xef\xbb\xbf"
    headers = [c.header for c in sheet.columns]
    for number, cells in enumerate(_with_header(headers, sheet), start=1):
        writer.writerow(cells)
        try:
            yield sink.line.encode(codec)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            column = next((headers[i] for i, c in enumerate(cells) if bad in c), "?")
            raise TabularError(
                f"row {number} ({cells[0]}), column {column!r}: {bad!r} cannot be written in {encoding} "
                f"(in {next((c for c in cells if bad in c), '')!r}); choose UTF-8 (utf-8-sig)"
            ) from None
        if number > 1:
            sheet.written += 1


def _with_header(headers: list[str], sheet: Sheet) -> Iterator[list[str]]:
    yield headers
    for row in sheet.rows:
        yield [_csv_text(v) for v in row]


class CsvWriter:
    """Row-by-row CSV into a text file (opened with ``newline=""``), every cell formula-safe.

    For files written in pieces as a job goes (the imports' rejects file), where :func:`csv_lines`'
    one iterable of rows does not fit. Cells are written as :func:`csv_lines` writes them, the header
    included: a source file's own column names are user text too.
    """

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Sequence[Any]) -> None:
        self._writer.writerow([_csv_text(v) for v in row])


def write_csv(out: IO[bytes], sheet: Sheet, *, encoding: str = "utf-8-sig") -> int:
    """Write ``sheet`` as CSV to a binary file; return the number of data rows."""
    for line in csv_lines(sheet, encoding=encoding):
        out.write(line)
    return sheet.written


# ---- XLSX -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XlsxStyle:
    """What every sheet of a workbook shares: the currency's format and the date format."""

    money: str
    date: str = DATE_FORMAT


def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "-"
    base = base[:28]
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:25]}~{n}"
        n += 1
    used.add(title.lower())
    return title


def _widths(columns: Sequence[Column], sample: list[Sequence[Any]]) -> list[float]:
    widths = []
    for i, col in enumerate(columns):
        if col.width is not None:
            widths.append(col.width)
            continue
        longest = display_width(col.header)
        for row in sample:
            value = row[i] if i < len(row) else None
            if value is None:
                continue
            if col.kind == "text":
                longest = max(longest, display_width(str(value)))
            elif col.kind == "money":
                longest = max(longest, len(f"{float(value):,.0f}") + 4)
        widths.append(min(MAX_WIDTH, max(_DEFAULT_WIDTH[col.kind], longest) + 2))
    return widths


class XlsxWriter:
    """A streaming workbook: add sheets one after the other, then :meth:`save` to a path or binary file."""

    def __init__(self, style: XlsxStyle) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font

        self._new_cell = WriteOnlyCell  # bound once: made for every styled cell
        self.wb = Workbook(write_only=True)
        self.style = style
        self.bold = Font(bold=True)
        self.used: set[str] = set()
        self._fills: dict[str, PatternFill] = {}
        self._styles: dict[tuple[str, str | None, bool, bool], StyleArray] = {}
        self._wrap = Alignment(vertical="top")

    def _fill(self, rgb: str) -> PatternFill:
        if rgb not in self._fills:
            from openpyxl.styles import PatternFill

            self._fills[rgb] = PatternFill("solid", fgColor=rgb)
        return self._fills[rgb]

    def _text(self, ws: Any, value: str, **style: Any) -> WriteOnlyCell:
        cell = self._new_cell(ws, value=value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if is_formula_like(value):
            cell.quotePrefix = True
        for k, v in style.items():
            setattr(cell, k, v)
        return cell

    def _styled(self, ws: Any, kind: str, fill: str | None, *, text: bool, quote: bool = False) -> StyleArray:
        """The style of a cell of ``kind`` (with ``fill``), worked out once per workbook and shared by its cells.

        Setting ``fill`` / ``number_format`` on every cell looks the style up in the workbook's
        tables by hashing it: a third of the time of a 100,000-row sheet. The shared
        :class:`StyleArray` (the ids those lookups return; only read when the cell is written)
        makes the same cell for a fraction of it.
        """
        key = (kind, fill, text, quote)
        style = self._styles.get(key)
        if style is None:
            from openpyxl.styles.cell_style import StyleArray

            cell = self._new_cell(ws)
            if not text:
                fmt = self.style.money if kind == "money" else self.style.date if kind == "date" else FORMATS.get(kind)
                if fmt:
                    cell.number_format = fmt
            if quote:
                cell.quotePrefix = True
            if fill:
                cell.fill = self._fill(fill)
            style = self._styles[key] = StyleArray(cell._style) if cell._style is not None else StyleArray()
        return style

    def _cell(self, ws: Any, value: Any, col: Column, fill: str | None) -> Any:
        """A cell to append: the bare value when it needs no style (plain text, empty), else a styled cell."""
        if isinstance(value, str):
            quote = is_formula_like(value)
            if not quote and not fill:
                return value  # openpyxl stores it as text: only a leading "=" would make a formula
            cell = self._new_cell(ws, value=value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell._style = self._styled(ws, col.kind, fill, text=True, quote=quote)
            return cell
        if value is None and not fill:
            return None
        cell = self._new_cell(ws, value=_plain(value, col.kind))
        cell._style = self._styled(ws, col.kind, fill, text=value is None)
        return cell

    def add(self, sheet: Sheet, *, heading: Sequence[str] = ()) -> int:
        """Write one table as a sheet (``heading``: lines above the header, e.g. the snapshot); return its rows."""
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.properties import PageSetupProperties

        ws: Any = self.wb.create_sheet(_sheet_title(sheet.title, self.used))
        rows = iter(sheet.rows)
        sample = list(islice(rows, WIDTH_SAMPLE))
        for i, width in enumerate(_widths(sheet.columns, sample), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        header_row = len(heading) + 1
        last = get_column_letter(max(1, len(sheet.columns)))
        ws.freeze_panes = f"A{header_row + 1}"
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        for line in heading:
            ws.append([self._text(ws, line, font=self.bold)])
        ws.append([self._text(ws, c.header, font=self.bold, alignment=self._wrap) for c in sheet.columns])
        count = 0
        for row in _chain(sample, rows):
            if header_row + count >= MAX_ROWS:
                ws.close()  # end the sheet's stream cleanly: nothing will be saved
                raise TabularError(
                    f"sheet {sheet.title!r}: more than Excel's {MAX_ROWS:,} rows a sheet; filter the table or choose CSV"
                )
            fill = sheet.fills(row) if sheet.fills else None
            at = sheet.fill_at
            ws.append(
                [
                    self._cell(ws, v, c, fill if at is None or i == at else None)
                    for i, (v, c) in enumerate(zip(row, sheet.columns, strict=True))
                ]
            )
            count += 1
        if sheet.autofilter:
            ws.auto_filter.ref = f"A{header_row}:{last}{header_row + count}"
        sheet.written = count
        return count

    def save(self, out: Any) -> None:
        self.wb.save(out)


def _chain(sample: list[Sequence[Any]], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield from sample
    sample.clear()  # the sample is not held while the rest streams
    yield from rest
