"""What the readers of CSV (:mod:`reader`) and XLSX (:mod:`xlsx`) files share: the open table, cell text,
the header's names and the foot of a table (a total row, a report's footer). Pure: no Django import."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import pandas as pd

from kokyaku.imports.errors import ImportFileError, Message, gettext_noop
from kokyaku.imports.japanese import normalise

# the first cell of a total row at the foot of a sheet or report (compared after NFKC, case and spaces folded)
TOTAL_LABELS = re.compile(r"^(?:合計|総計|総合計|計|小計|total|totals|grandtotal|grandtotals|subtotal|sum)(?:\(.*\))?$")
SUBTOTAL_LABELS = re.compile(r"^(?:小計|subtotal)")


def is_total_label(text: str) -> bool:
    """Whether a cell reads like the label of a total row: 合計, 総計, Total, Grand Totals (12 records)."""
    return bool(TOTAL_LABELS.match(normalise(text).casefold().replace(" ", "")))


def subtotals_refused(name: str, row: int, label: str) -> ImportFileError:
    return ImportFileError.of(
        gettext_noop(
            "%(file)s: row %(row)s (%(label)s) is a subtotal with data rows after it: this is a report grouped by a "
            "column; export it as details only (no groupings, 詳細のみ) and import that file"
        ),
        file=name,
        row=row,
        label=label,
    )


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
    notes: list[Message] = field(default_factory=list)  # rows left out as a person would (a total row), said once read

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Yield DataFrames of str, indexed by source row number; fully blank rows are left out."""
        yield from self._chunks

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cell_text(value: Any) -> str:
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


def unique_header(raw: list[str]) -> list[str]:
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


def no_header(name: str) -> Message:
    return Message(gettext_noop("%(file)s is empty: no header row"), file=name)


def no_rows(name: str) -> Message:
    return Message(gettext_noop("%(file)s has a header but no data rows"), file=name)


def foot_note(name: str, rows: list[int]) -> Message:
    return Message(
        gettext_noop("%(file)s: rows %(rows)s at the foot of the file (a total row or a report's footer) were left out"),
        file=name,
        rows=", ".join(map(str, rows)),
    )
