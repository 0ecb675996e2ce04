"""The rejects file: every refused or skipped row of an import, as it was in the file, with where and why.

Written through the shared formula-safe writer (:class:`kokyaku.lib.tabular.CsvWriter`): a source
value such as ``=HYPERLINK(...)`` comes out as ``'=HYPERLINK(...)``, shown as text by a spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from kokyaku.imports.errors import Problem
from kokyaku.imports.i18n import translated
from kokyaku.lib.tabular import CsvWriter


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

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
