"""The first rows of a file as a mapping sees them, for the review page. Pure: no Django import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kokyaku.imports.errors import Problem
from kokyaku.imports.mapping import Mapping
from kokyaku.imports.reader import open_table
from kokyaku.imports.validate import chunk_check, columns_resolve


@dataclass
class Preview:
    header: list[str]
    fields: list[str]
    rows: list[tuple[int, list[str]]]  # (source row, mapped values as text) of the good rows
    problems: list[Problem]
    skipped: list[int]
    absent: list[str]
    file_info: dict[str, str] = field(default_factory=dict)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return str(value)


def preview_rows(
    path: Path, mapping: Mapping, *, name: str, timezone: str, rows: int = 20, encoding: str | None = None
) -> Preview:
    """Map and check the first ``rows`` data rows; raise ImportFileError if the file cannot be read."""
    with open_table(
        path, name=name, encoding=encoding or mapping.encoding, delimiter=mapping.delimiter, sheet=mapping.sheet, chunk_rows=rows
    ) as table:
        columns = columns_resolve(table.header, mapping, file=name)
        chunk = next(iter(table.chunks()))
        checked = chunk_check(chunk, mapping, columns, file=name, timezone=timezone)
        fields = list(checked.data.columns)
        shown = [
            (int(row), [_text(v) for v in values])
            for row, values in zip(checked.data.index, checked.data.to_numpy().tolist(), strict=True)
        ]
        info = {
            "format": table.format,
            "encoding": table.encoding or "",
            "delimiter": {"\t": "tab"}.get(table.delimiter or "", table.delimiter or ""),
        }
        return Preview(
            header=table.header,
            fields=fields,
            rows=shown,
            problems=checked.problems,
            skipped=[int(r) for r in checked.skipped],
            absent=columns.absent,
            file_info=info,
        )
