"""Read CSV / XLSX files (optionally gzipped) as chunks of strings. Pure: no Django import.

Everything comes out as text; typing and checks happen in :mod:`kokyaku.imports.validate`.
Row numbers count the header as row 1, as Excel shows them; every chunk's index holds them.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

import pandas as pd

from kokyaku.imports.errors import ImportFileError, Message, gettext_noop

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
DEFAULT_CHUNK_ROWS = 100_000


@dataclass
class Table:
    """An open source file: its header, how it was read, and its rows as chunks of strings."""

    name: str
    header: list[str]
    format: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    compressed: bool
    total: int  # progress units: bytes of the file (CSV) or rows (XLSX)
    done: Callable[[], int]
    _chunks: Iterator[pd.DataFrame]
    _close: Callable[[], None]

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Yield DataFrames of str, indexed by source row number; fully blank rows are left out."""
        yield from self._chunks

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _DecodingReader:
    """A text stream over bytes that reports the line of the first byte it cannot decode."""

    def __init__(self, binary: IO[bytes], encoding: str, name: str) -> None:
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._encoding = encoding
        self._name = name
        self._line = 1

    def read(self, size: int = -1) -> str:
        data = self._binary.read(size if size and size > 0 else 1 << 20)
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            start = max(0, min(exc.start, len(data)))
            line = self._line + data[:start].count(b"\n")
            bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
            raise ImportFileError.of(
                gettext_noop(
                    "%(file)s: line %(line)s is not valid %(encoding)s (byte 0x%(byte)s); "
                    "the file is in another encoding: pass --encoding (e.g. utf-8, cp932, latin-1)"
                ),
                file=self._name,
                line=line,
                encoding=self._encoding,
                byte=bad,
            ) from None
        self._line += data.count(b"\n")
        return text

    def __iter__(self) -> Iterator[str]:  # pandas wants a file-like object to be iterable
        raise io.UnsupportedOperation("iterate by read()")


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """Return utf-8-sig, utf-8 or cp932 for a sample of the file; raise ImportFileError if none fits."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp932"):
        try:
            codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError.of(
        gettext_noop(
            "cannot tell the file's encoding: it is neither UTF-8 nor Shift_JIS (cp932); pass --encoding (e.g. latin-1, cp1252)"
        )
    )


def detect_delimiter(text: str) -> str:
    """Return the delimiter that splits the first lines into the most, equally long, rows."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line short
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        widths = [len(r) for r in rows if r]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for w in widths if w == widths[0])
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _unique_header(raw: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    header = []
    for i, name in enumerate(raw):
        name = (name or "").strip() or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        header.append(name)
    return header


def open_table(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Table:
    """Open a CSV or XLSX file, plain or gzipped, detecting encoding and delimiter unless given."""
    path = Path(path)
    name = name or path.name
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ImportFileError.of(gettext_noop("cannot open %(file)s: %(error)s"), file=name, error=exc.strerror or exc) from None
    try:
        size = path.stat().st_size
        if size == 0:
            raise ImportFileError.of(gettext_noop("%(file)s is empty (0 bytes)"), file=name)
        magic = raw.read(4)
        raw.seek(0)
        compressed = magic.startswith(GZIP_MAGIC)
        binary: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw  # type: ignore[assignment]
        try:
            head = binary.read(SAMPLE_BYTES)
        except (OSError, EOFError) as exc:
            raise ImportFileError.of(gettext_noop("%(file)s: broken gzip file (%(error)s)"), file=name, error=exc) from None
        if head.startswith(ZIP_MAGIC):
            if compressed:  # openpyxl needs a seekable file: unpack the .xlsx.gz first
                spooled = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - closed by the Table
                spooled.write(head)
                shutil.copyfileobj(binary, spooled)
                spooled.seek(0)
                raw.close()
                return _open_xlsx(spooled, name=name, sheet=sheet, chunk_rows=chunk_rows, compressed=True)
            return _open_xlsx(raw, name=name, sheet=sheet, chunk_rows=chunk_rows, compressed=False)
        if not head.strip():
            raise ImportFileError(_no_header(name))
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError.of(gettext_noop("%(file)s is not a CSV or XLSX file (it holds binary data)"), file=name)
        if encoding is None:
            try:
                encoding = detect_encoding(head, complete=len(head) < SAMPLE_BYTES)
            except ImportFileError as exc:
                raise ImportFileError.of(gettext_noop("%(file)s: %(error)s"), file=name, error=exc.message) from None
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportFileError.of(gettext_noop("unknown encoding %(encoding)s"), encoding=repr(encoding)) from None
        if delimiter is None:
            try:
                sample = head.decode(encoding, errors="ignore")
            except LookupError:
                sample = ""
            delimiter = detect_delimiter(sample)
        if compressed:
            binary.seek(0)
        else:
            raw.seek(0)
        stream = _DecodingReader(binary, encoding, name)
        return _open_csv(
            stream,
            raw,
            name=name,
            encoding=encoding,
            delimiter=delimiter,
            size=size,
            compressed=compressed,
            chunk_rows=chunk_rows,
        )
    except BaseException:
        raw.close()
        raise


def _no_header(name: str) -> Message:
    return Message(gettext_noop("%(file)s is empty: no header row"), file=name)


def _no_rows(name: str) -> Message:
    return Message(gettext_noop("%(file)s has a header but no data rows"), file=name)


def _parse_error(name: str, exc: Exception) -> ImportFileError:
    detail: str = str(exc).split("C error: ")[-1].strip()
    if m := re.search(r"EOF inside string starting at row (\d+)", detail):
        detail = Message(gettext_noop("a quoted value opened on row %(row)s is never closed"), row=int(m.group(1)) + 1)
    elif m := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail):
        detail = Message(
            gettext_noop("row %(row)s has %(fields)s fields but the header has %(header)s"),
            row=m.group(2),
            fields=m.group(3),
            header=m.group(1),
        )
    return ImportFileError.of(
        gettext_noop(
            "%(file)s: broken CSV (%(detail)s); a value holding the delimiter, a quote or a line break must be "
            'quoted, with quotes inside doubled (""); or the delimiter is wrong: pass --delimiter'
        ),
        file=name,
        detail=detail,
    )


def _open_csv(
    stream: _DecodingReader,
    raw: IO[bytes],
    *,
    name: str,
    encoding: str,
    delimiter: str,
    size: int,
    compressed: bool,
    chunk_rows: int,
) -> Table:
    try:
        reader = pd.read_csv(
            stream,  # type: ignore[call-overload]
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            chunksize=chunk_rows,
            engine="c",
            header=0,
            index_col=False,
        )
        first = next(reader, None)
    except pd.errors.EmptyDataError:
        raise ImportFileError(_no_header(name)) from None
    except pd.errors.ParserError as exc:
        raise _parse_error(name, exc) from None
    if first is None or (first.empty and len(first.columns) == 0):
        raise ImportFileError(_no_rows(name))
    header = _unique_header([str(c) for c in first.columns])

    def chunks() -> Iterator[pd.DataFrame]:
        start = 2
        chunk: pd.DataFrame | None = first
        while chunk is not None:
            chunk.columns = pd.Index(header)
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            # no fillna: with na_filter=False the C parser gives "" for empty and missing fields alike
            # a blank line is empty in every column: look at the others only where the first is empty
            candidates = chunk.iloc[:, 0].to_numpy(dtype=object) == ""
            if candidates.any():
                blank = candidates.copy()
                blank[candidates] = (chunk[candidates] == "").all(axis=1).to_numpy()
                yield chunk[~blank] if blank.any() else chunk
            else:
                yield chunk
            try:
                chunk = next(reader, None)
            except pd.errors.ParserError as exc:
                raise _parse_error(name, exc) from None

    if first.empty:
        raise ImportFileError(_no_rows(name))

    def done() -> int:
        try:
            return raw.tell()
        except (OSError, ValueError):
            return 0

    return Table(
        name=name,
        header=header,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        compressed=compressed,
        total=size,
        done=done,
        _chunks=chunks(),
        _close=raw.close,
    )


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


def _open_xlsx(fileobj: IO[bytes], *, name: str, sheet: str | None, chunk_rows: int, compressed: bool) -> Table:
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

    first = next_row()
    while first is not None and all(v is None for v in first):
        first = next_row()
    if first is None:
        close()
        raise ImportFileError.of(
            gettext_noop("%(file)s is empty: the sheet %(sheet)s has no header row"), file=name, sheet=repr(ws.title)
        )
    header = _unique_header([_cell_text(v) for v in first])
    header_row = counter["rows"]
    width = len(header)
    total = int(ws.max_row or 0)

    def chunks() -> Iterator[pd.DataFrame]:
        buffer: list[list[str]] = []
        index: list[int] = []
        seen_data = False
        while True:
            row = next_row()
            if row is None or len(buffer) >= chunk_rows:
                if buffer:
                    seen_data = True
                    yield pd.DataFrame(buffer, columns=header, index=index, dtype=str)
                    buffer, index = [], []
                if row is None:
                    break
            values = [_cell_text(v) for v in row[:width]]
            if not any(values):
                continue
            values.extend([""] * (width - len(values)))
            buffer.append(values)
            index.append(counter["rows"])
        if not seen_data:
            raise ImportFileError.of(
                gettext_noop("%(file)s has a header (row %(row)s) but no data rows"), file=name, row=header_row
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
    )
