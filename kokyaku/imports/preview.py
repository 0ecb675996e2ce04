"""The first rows of a file as a mapping sees them, for the review page. Pure: no Django import."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kokyaku.imports.errors import Message, Problem, gettext_noop
from kokyaku.imports.fields import SCHEMAS, header_aliases
from kokyaku.imports.japanese import header_key, header_unit, header_without_unit, name_key
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
    notes: list[Message] = field(default_factory=list)  # the header row found, names that will be one record


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
        path,
        name=name,
        encoding=encoding or mapping.encoding,
        delimiter=mapping.delimiter,
        sheet=mapping.sheet,
        header_row=mapping.header_row,
        chunk_rows=rows,
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
            notes=[*table.notes, *columns.notes, *same_names(checked.data)],
        )


NAMED = {"account": gettext_noop("account"), "owner": gettext_noop("rep"), "rep": gettext_noop("rep")}


def same_names(data: pd.DataFrame) -> list[Message]:
    """The names in these rows that will be one account or rep, written differently (株式会社ABC商事 and
    (株)ABC商事): shown before anything is written, never merged unseen."""
    notes = []
    for column, what in NAMED.items():
        if column not in data:
            continue
        groups: dict[str, list[str]] = {}
        for value in dict.fromkeys(str(v) for v in data[column].tolist() if v):
            groups.setdefault(name_key(value) or value, []).append(value)
        for written in groups.values():
            if len(written) > 1:
                notes.append(
                    Message(
                        gettext_noop(
                            "%(what)s: %(names)s will be one (the same name once legal forms, widths and spaces are set aside)"
                        ),
                        what=Message(what),
                        names=" / ".join(written),
                    )
                )
    return notes


def header_sample(path: Path, mapping: Mapping, *, name: str, rows: int = 20) -> tuple[list[str], dict[str, str]]:
    """The file's columns and, for each, its first non-empty value among the first ``rows`` rows.

    For the column picker of the review page: it works whatever the mapping says (even when the
    mapping does not fit the file yet, which is when the picker is needed). Raises ImportFileError
    if the file cannot be read at all.
    """
    with open_table(path, name=name, encoding=mapping.encoding, delimiter=mapping.delimiter, sheet=mapping.sheet,
                    header_row=mapping.header_row, chunk_rows=rows) as table:  # fmt: skip
        chunk = next(iter(table.chunks()), None)
        examples: dict[str, str] = {}
        for column in table.header:
            values = [] if chunk is None else [str(v).strip() for v in chunk[column].tolist()]
            examples[column] = next((v for v in values if v and v.lower() != "nan"), "")
        return table.header, examples


KEEP = "__keep__"  # the picker's value for "as the TOML says" (a template over several columns)


@dataclass
class PickerRow:
    """One Kokyaku field in the review page's column picker."""

    field: str
    required: bool
    selected: str  # a header column, KEEP, or "" (not imported)
    written: str  # what the TOML says under [columns] ("" if nothing)
    missing: bool  # the TOML names a column this file does not have
    example: str  # the selected column's first value in the file
    constant: str | None = None  # [constants]: this value, whatever the column says
    default: str | None = None  # [defaults]: this value where the column is empty
    guessed: bool = False  # selected by its name (商談名 for name), not by the mapping: saved when the picks are
    money: bool = False  # a money field: the picker offers its unit ([scale])
    scale: str = ""  # the multiplier picked: [scale]'s, else the selected column header's unit ("" : none)
    scale_written: str = ""  # what the TOML says under [scale] ("" if nothing)
    unit: str = ""  # the unit the selected column's header states (千円, $000), "" if none

    @property
    def shown(self) -> str:
        """What the page says the mapping has (a guess is a change to save, so it is not shown as the mapping's)."""
        return "" if self.guessed else self.selected


SCALES = ("1", "1000", "10000", "1000000", "100000000")  # the picker's multipliers: as written, 千, 万, 百万, 億


def _number_text(value: object) -> str:
    """A [scale] value as the picker's option value: 1000 for 1000, 1_000 and 1000.0; other text as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def column_picker(text: str, kind: str, header: list[str], examples: dict[str, str]) -> list[PickerRow]:
    """The picker's rows: each field of ``kind`` with the file column the mapping ``text`` gives it.

    Reads ``[columns]`` leniently (a mapping that does not parse yet still shows what it says), and
    matches columns as the import does: exactly, then ignoring case and spaces.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = {}
    sections = ("columns", "constants", "defaults", "scale")
    written, constants, defaults, scales = (t if isinstance(t := data.get(k), dict) else {} for k in sections)
    folded = {header_key(h): h for h in reversed(header)}
    # 金額（千円） is the 金額 column (in thousands): a name with its unit left out matches too
    named = {**{header_key(header_without_unit(h)): h for h in reversed(header)}, **folded}
    rows = []
    taken = {str(v) for v in written.values() if isinstance(v, str)}
    for f in SCHEMAS[kind]:
        spec = written.get(f.name)
        spec = spec if isinstance(spec, str) else ""
        guessed = False
        if "{" in spec:
            selected, missing = KEEP, False
        elif spec:
            found = spec if spec in header else folded.get(header_key(spec))
            selected, missing = (found or ""), found is None
        else:
            selected, missing = "", False
        if not selected and f.name not in constants:  # 商談名, 取引先名, 金額...: matched by itself
            alias = next((named[k] for a in header_aliases(kind, f.name) if (k := header_key(a)) in named), None)
            if alias is not None and alias not in taken:
                selected, guessed = alias, True
                taken.add(alias)
        constant, default = constants.get(f.name), defaults.get(f.name)
        unit = header_unit(selected) if f.money and selected and selected != KEEP else None
        scale_written = _number_text(scales[f.name]) if f.name in scales else ""
        scale = scale_written or ("" if unit is None else _number_text(unit[1]))
        rows.append(
            PickerRow(
                f.name, f.required, selected, spec, missing and f.name not in constants, examples.get(selected, ""),
                constant=None if constant is None else str(constant), default=None if default is None else str(default),
                guessed=guessed, money=f.money, scale=scale, scale_written=scale_written,
                unit="" if unit is None else unit[0],
            )
        )  # fmt: skip
    return rows


def picker_scales(form: dict[str, str], kind: str) -> dict[str, float | None]:
    """The money fields whose picked multiplier differs from the TOML's [scale]: field -> multiplier
    (None: no [scale] entry, the column header's unit applies). A value that is not a positive number is
    left out (the picker only offers numbers; the TOML, not the picker, says what is wrong with one typed)."""
    changes: dict[str, float | None] = {}
    for f in SCHEMAS[kind]:
        picked, shown = form.get(f"scale__{f.name}"), form.get(f"initial_scale__{f.name}")
        if not f.money or picked is None or picked == shown:
            continue
        if not picked:
            changes[f.name] = None
            continue
        try:
            value = float(picked)
        except ValueError:
            continue
        if value > 0 and value != float("inf"):
            changes[f.name] = value
    return changes


def picker_changes(form: dict[str, str], kind: str) -> dict[str, str | None]:
    """The fields whose picked column differs from what the page showed: field -> column (None: not imported)."""
    changes: dict[str, str | None] = {}
    for f in SCHEMAS[kind]:
        picked, shown = form.get(f"column__{f.name}"), form.get(f"initial__{f.name}")
        if picked is None or picked in (shown, KEEP):
            continue
        changes[f.name] = picked or None
    return changes
