"""The rejects file: every refused or skipped row of an import, as it was in the file, with where and why.

Written through the shared formula-safe writer (:class:`kokyaku.lib.tabular.CsvWriter`): a source
value such as ``=HYPERLINK(...)`` comes out as ``'=HYPERLINK(...)``, shown as text by a spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

from kokyaku.imports.errors import Problem
from kokyaku.imports.i18n import translated
from kokyaku.imports.table import Table
from kokyaku.lib.tabular import CsvWriter

FLUSH_ROWS = 2_000  # refused rows written at a time by write_found


class RejectsFile:
    """The rejects file: the source columns, then row, column and reason of every refused row."""

    def __init__(self, path: Path | None, header: list[str]) -> None:
        self.path = path
        self.handle: io.TextIOWrapper | None = None
        self.writer: CsvWriter | None = None
        if path is not None:
            self.handle = path.open("w", encoding="utf-8-sig", newline="")
            self.writer = CsvWriter(self.handle)
            self.writer.writerow([*header, "row", "column", "reason"])

    def write(self, raw: pd.DataFrame, rows: Iterable[int], problems: list[Problem], reason: str = "") -> None:
        if self.writer is None:
            return
        by_row: dict[int, list[Problem]] = {}
        for p in problems:
            by_row.setdefault(p.row, []).append(p)
        wanted = [r for r in rows if r in raw.index]
        block = raw.loc[wanted].to_numpy().tolist() if wanted else []
        for row, values in zip(wanted, block, strict=True):
            found = by_row.get(int(row), [])
            column = "; ".join(dict.fromkeys(p.column for p in found)) if found else ""
            text = "; ".join(translated(p.reason) for p in found) if found else translated(reason)
            self.writer.writerow([*values, int(row), column, text])

    def write_plain(self, header_len: int, row: int, column: str, reason: str, values: dict[int, str] | None = None) -> None:
        if self.writer is None:
            return
        cells = [""] * header_len
        for i, v in (values or {}).items():
            cells[i] = v
        self.writer.writerow([*cells, row, column, translated(reason)])

    def write_found(self, reopen: Callable[[], Table] | None, width: int, refused: Iterator[tuple[int, str, str]]) -> None:
        """Rows that SQL refused once the whole file was in (a duplicate id), each with its values as read.

        ``refused`` gives (row, column, reason) in row order, as a database cursor streams them; the
        file is read again beside it, chunk by chunk, so memory holds one chunk and one batch however
        many rows are refused (no values only when the file cannot be read again).
        """
        if self.writer is None:
            for _ in refused:  # nothing to write; still drain the cursor
                pass
            return
        pending = next(refused, None)
        if reopen is not None and pending is not None:
            with reopen() as table:
                for chunk in table.chunks():
                    if pending is None:
                        break
                    if not len(chunk):
                        continue
                    last = int(chunk.index[-1])
                    rows: list[int] = []
                    problems: list[Problem] = []
                    while pending is not None and pending[0] <= last:
                        row, column, reason = pending
                        if row in chunk.index:
                            rows.append(row)
                            problems.append(Problem("", row, column, "", reason))
                        else:
                            self.write_plain(width, row, column, reason)
                        if len(rows) >= FLUSH_ROWS:  # however many rows of the chunk are refused, a batch at a time
                            self.write(chunk, rows, problems)
                            rows, problems = [], []
                        pending = next(refused, None)
                    self.write(chunk, rows, problems)
                    del chunk
        while pending is not None:
            self.write_plain(width, *pending)
            pending = next(refused, None)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
