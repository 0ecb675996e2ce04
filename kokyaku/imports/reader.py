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
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pandas as pd

from kokyaku.imports.errors import ImportFileError, Message, gettext_noop
from kokyaku.imports.table import Table, foot_note, is_total_label, no_header, no_rows, unique_header
from kokyaku.imports.xlsx import open_xlsx

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
DEFAULT_CHUNK_ROWS = 100_000
BLOCK_BYTES = 1 << 20  # read a CSV this much at a time
MAX_LINE_BYTES = 1 << 20  # a longer line is no CSV export (a 1 GB one-line gzip would otherwise fill memory)
MAX_UNPACKED_BYTES = 4 << 30  # what a .gz may unpack to, by default


class _DecodingReader:
    """A text stream over bytes that stops, naming the line, at the first byte it cannot decode, a NUL
    character, a line longer than MAX_LINE_BYTES; and at a gzip file that is cut short or unpacks to
    more than ``max_unpacked`` bytes. Memory stays one block (1 MB) whatever the file holds."""

    def __init__(self, binary: IO[bytes], encoding: str, name: str, *, compressed: bool = False, max_unpacked: int = 0) -> None:
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._encoding = encoding
        self._name = name
        self._line = 1
        self._run = 0  # bytes since the last line break
        self._read = 0
        self._compressed = compressed
        self._max_unpacked = max_unpacked

    def read(self, size: int = -1) -> str:
        try:
            data = self._binary.read(min(size, BLOCK_BYTES) if size and size > 0 else BLOCK_BYTES)
        except (OSError, EOFError, zlib.error) as exc:  # a .gz cut short (an interrupted download) or damaged
            raise broken_gzip(self._name, exc, self._line) from None
        self._read += len(data)
        if self._compressed and self._max_unpacked and self._read > self._max_unpacked:
            raise too_large(self._name, self._max_unpacked)
        first = data.find(b"\n")
        longest = self._run + (len(data) if first < 0 else first)
        if longest > MAX_LINE_BYTES:
            raise ImportFileError.of(
                gettext_noop(
                    "%(file)s: line %(line)s is longer than %(limit)s MB: this is not a CSV export (or its line breaks "
                    "are not \\n nor \\r\\n)"
                ),
                file=self._name,
                line=self._line,
                limit=MAX_LINE_BYTES // (1 << 20),
            )
        self._run = longest if first < 0 else len(data) - data.rfind(b"\n") - 1
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            start = max(0, min(exc.start, len(data)))
            line = self._line + data[:start].count(b"\n")
            bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
            raise ImportFileError.of(
                gettext_noop(
                    "%(file)s: line %(line)s is not valid %(encoding)s (byte 0x%(byte)s); "
                    "the file is in another encoding: pass --encoding (Japanese files: cp932, euc-jp, utf-16; "
                    "others: utf-8, latin-1)"
                ),
                file=self._name,
                line=line,
                encoding=self._encoding,
                byte=bad,
            ) from None
        if "\x00" in text:  # a database cannot store it, and no CSV export writes it
            raise ImportFileError.of(
                gettext_noop("%(file)s: line %(line)s holds a NUL character (byte 0x00): the file is damaged or not text"),
                file=self._name,
                line=self._line + text.count("\n", 0, text.index("\x00")),
            )
        self._line += data.count(b"\n")
        return text

    def __iter__(self) -> Iterator[str]:  # pandas wants a file-like object to be iterable
        raise io.UnsupportedOperation("iterate by read()")


def broken_gzip(name: str, exc: BaseException, line: int | None = None) -> ImportFileError:
    """A gzip file cut short or damaged: one line, with where it broke when known."""
    if line is not None:
        return ImportFileError.of(
            gettext_noop("%(file)s: broken gzip file after line %(line)s (%(error)s); nothing was written"),
            file=name,
            line=line,
            error=str(exc)[:200],
        )
    return ImportFileError.of(gettext_noop("%(file)s: broken gzip file (%(error)s)"), file=name, error=str(exc)[:200])


def too_large(name: str, limit: int) -> ImportFileError:
    return ImportFileError.of(
        gettext_noop("%(file)s: the gzip file unpacks to more than %(limit)s MB; split the file, or import it unpacked"),
        file=name,
        limit=f"{limit / (1 << 20):,.0f}",
    )


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
            "cannot tell the file's encoding: it is neither UTF-8 nor Shift_JIS (cp932); pass --encoding "
            "(Japanese files: cp932, euc-jp, utf-16; others: latin-1, cp1252)"
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


def open_table(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    header_row: int | None = None,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> Table:
    """Open a CSV or XLSX file, plain or gzipped, detecting encoding and delimiter unless given.

    XLSX: ``header_row`` (counted as Excel shows rows) is the header; without it, the header is the
    first of the sheet's first rows that is as wide as the table (a title or notes above it are
    left out).
    """
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
        except (OSError, EOFError, zlib.error) as exc:
            raise broken_gzip(name, exc) from None
        if head.startswith(ZIP_MAGIC):
            if compressed:  # openpyxl needs a seekable file: unpack the .xlsx.gz first
                spooled = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - closed by the Table
                spooled.write(head)
                _unpack(binary, spooled, name, max_unpacked, len(head))
                spooled.seek(0)
                raw.close()
                return open_xlsx(spooled, name=name, sheet=sheet, chunk_rows=chunk_rows, compressed=True, header_row=header_row)
            return open_xlsx(raw, name=name, sheet=sheet, chunk_rows=chunk_rows, compressed=False, header_row=header_row)
        if not head.strip():
            raise ImportFileError(no_header(name))
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
        stream = _DecodingReader(binary, encoding, name, compressed=compressed, max_unpacked=max_unpacked)
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


def _unpack(binary: IO[bytes], out: IO[bytes], name: str, limit: int, written: int) -> None:
    """Copy a gzipped workbook out, block by block, refusing one cut short or larger than ``limit`` bytes."""
    room = limit - written
    while True:
        try:
            block = binary.read(BLOCK_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise broken_gzip(name, exc) from None
        if not block:
            return
        room -= len(block)
        if room < 0:
            raise too_large(name, limit)
        out.write(block)


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
        raise ImportFileError(no_header(name)) from None
    except pd.errors.ParserError as exc:
        raise _parse_error(name, exc) from None
    if first is None or (first.empty and len(first.columns) == 0):
        raise ImportFileError(no_rows(name))
    header = unique_header([str(c) for c in first.columns])

    notes: list[Message] = []

    def chunks() -> Iterator[pd.DataFrame]:
        start = 2
        chunk: pd.DataFrame | None = first
        while chunk is not None:
            chunk.columns = pd.Index(header)
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            try:
                following = next(reader, None)  # read ahead: the last chunk may end in a total row or a footer
            except pd.errors.ParserError as exc:
                raise _parse_error(name, exc) from None
            # no fillna: with na_filter=False the C parser gives "" for empty and missing fields alike
            # a blank line is empty in every column: look at the others only where the first is empty
            if following is None:
                chunk = _without_foot(chunk, name, notes)
            candidates = chunk.iloc[:, 0].to_numpy(dtype=object) == ""
            if candidates.any():
                blank = candidates.copy()
                blank[candidates] = (chunk[candidates] == "").all(axis=1).to_numpy()
                chunk = chunk[~blank] if blank.any() else chunk
            yield chunk
            chunk = following

    if first.empty:
        raise ImportFileError(no_rows(name))

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
        notes=notes,
    )


def _foot_start(rows: list[list[str]]) -> int:
    """Where the foot of a table starts (len(rows) if it has none): a total row (合計, Total), and the
    lines a report writes below its data after a blank line, one filled cell each (Salesforce's
    "Confidential Information - Do Not Distribute", "Generated By ...")."""
    start = len(rows)
    for i in range(len(rows) - 1, max(-1, len(rows) - 21), -1):
        filled = [v for v in rows[i] if v.strip()]
        if len(filled) > 1 and not is_total_label(filled[0]):
            break
        if not filled or is_total_label(filled[0]):
            start = i  # a blank line or a total row: the foot reaches up to here
    return start


def _without_foot(chunk: pd.DataFrame, name: str, notes: list[Message]) -> pd.DataFrame:
    """The last chunk of a CSV without its foot (see :func:`_foot_start`), said in ``notes``."""
    tail = chunk.tail(20)
    rows = [[str(v) for v in values] for values in tail.to_numpy(dtype=object).tolist()]
    start = _foot_start(rows)
    if start == len(rows) or (start == 0 and len(tail) == len(chunk)):
        return chunk
    dropped = [int(r) for r, values in zip(tail.index[start:], rows[start:], strict=True) if any(v.strip() for v in values)]
    if dropped:
        notes.append(foot_note(name, dropped))
    return chunk.iloc[: len(chunk) - (len(rows) - start)]
