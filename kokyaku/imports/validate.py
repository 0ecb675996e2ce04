"""Map a chunk of source rows to Kokyaku fields and check every value, vectorised. Pure: no Django.

Each bad value becomes a :class:`Problem` naming file, row, column, value and reason; only the bad
rows are visited one by one, the checks themselves run on whole columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kokyaku.imports.errors import ImportFileError, Message, Problem, gettext_noop
from kokyaku.imports.fields import Field, schema
from kokyaku.imports.japanese import header_key, header_unit, header_without_unit, japanese_date, money, normalise
from kokyaku.imports.mapping import Mapping, Template
from kokyaku.lib.currency import ISO_4217

_MONEY_NOISE = re.compile(r"[\s¥$€£円]")
FREE_TEXT = {"note", "notes", "lost_note"}  # kept as typed; every other text field is NFKC-normalised when not ASCII


@dataclass
class Columns:
    """Where each mapped field reads from in this file's header."""

    sources: dict[str, str | Template]  # field -> header column, or a template over header columns
    absent: list[str] = field(default_factory=list)  # optional columns the file lacks (their fields are left alone)
    scales: dict[str, float] = field(default_factory=dict)  # field -> multiplier: the mapping's [scale], else the header's unit
    notes: list[Message] = field(default_factory=list)  # the units read from headers, said in the summary and the preview

    def label(self, name: str) -> str:
        spec = self.sources.get(name)
        if spec is None:
            return name
        if isinstance(spec, Template):
            return "".join(lit + ("{" + col + "}" if col else "") for lit, col in spec.parts)
        return spec


def columns_resolve(header: list[str], mapping: Mapping, *, file: str) -> Columns:
    """Match the mapping's source columns to the header (exact, then ignoring case, spaces and full-/half-width).

    A missing column that feeds a required field is an error; a missing optional one is noted and
    its field left out (so existing values are kept). A money field whose column header states a unit
    (金額（千円）, Amount ($000)) is read in that unit, and noted, unless the mapping's ``[scale]`` sets one;
    a mapping's 金額 finds the header 金額（千円） when the file has no 金額 itself.
    """
    exact = set(header)
    folded = {header_key(h): h for h in reversed(header)}
    # last: a column named without the unit its header adds (金額 finds 金額（千円）, Amount finds Amount ($000))
    unitless = {header_key(header_without_unit(h)): h for h in reversed(header) if header_unit(h) is not None}

    def find(col: str) -> str | None:
        if col in exact:
            return col
        key = header_key(col)
        return folded.get(key) or unitless.get(key)

    fields = schema(mapping.kind)
    sources: dict[str, str | Template] = {}
    notes: list[str] = []
    missing_required: list[Message] = []
    for name, spec in mapping.columns.items():
        wanted = spec.columns if isinstance(spec, Template) else [spec]
        found = [find(c) for c in wanted]
        if all(f is not None for f in found):
            if isinstance(spec, Template):
                mapped = iter(found)
                sources[name] = Template(tuple((lit, next(mapped) if col else None) for lit, col in spec.parts))
            else:
                sources[name] = str(found[0])
            continue
        absent = [c for c, f in zip(wanted, found, strict=True) if f is None]
        if fields[name].required and name not in mapping.constants and name not in mapping.defaults:
            missing_required.extend(
                Message(gettext_noop("%(column)s (for %(field)s)"), column=repr(c), field=name) for c in absent
            )
        else:
            notes.extend(absent)
    if missing_required:
        shown = ", ".join(header[:30]) + (" ..." if len(header) > 30 else "")
        raise ImportFileError.of(
            gettext_noop("%(file)s: missing required column %(columns)s; the file has: %(header)s"),
            file=file,
            columns=tuple(missing_required),
            header=shown,
        )
    scales, units = header_scales(sources, mapping)
    return Columns(sources, list(dict.fromkeys(notes)), scales={**mapping.scale, **scales}, notes=units)


def header_scales(sources: dict[str, str | Template], mapping: Mapping) -> tuple[dict[str, float], list[Message]]:
    """The multipliers of the money fields whose column header states a unit and whose [scale] the mapping
    leaves unset, and a note for each (the unit read, and how to read the numbers as they are instead)."""
    scales: dict[str, float] = {}
    notes: list[Message] = []
    for f in schema(mapping.kind).values():
        column = sources.get(f.name)
        if not f.money or f.name in mapping.scale or not isinstance(column, str):
            continue
        unit = header_unit(column)
        if unit is None:
            continue
        written, factor = unit
        scales[f.name] = factor
        notes.append(
            Message(
                gettext_noop(
                    "%(field)s: column %(column)s says %(unit)s: read ×%(factor)s; "
                    "set [scale] %(field)s = 1 to read the numbers as they are"
                ),
                field=f.name,
                column=column,
                unit=written,
                factor=f"{factor:,.0f}",
            )
        )
    return scales, notes


@dataclass
class Checked:
    """One chunk after mapping and checks."""

    data: pd.DataFrame  # good rows only, one typed column per field, indexed by source row
    problems: list[Problem]
    bad: pd.Index  # rows with at least one problem
    skipped: pd.Index  # rows left out by options.skip_when_empty
    raw: pd.DataFrame  # the source chunk, for the rejects file


def _whole_ids(values: pd.Series) -> pd.Series:
    """Turn "17850.0" into "17850": a numeric id that went through Excel or pandas as a float."""
    if ".0\x00" not in "\x00".join(values.tolist()) + "\x00":  # one C-speed scan: usually nothing to do
        return values
    floats = values.str.endswith(".0")
    head = values[floats].str.rstrip("0").str[:-1]
    floats[floats] = head.str.isdecimal().to_numpy()
    return values.where(~floats, head)


def per_distinct(values: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``values.map(fn)`` for a column of few distinct strings (status, currency, yes/no): ``fn`` runs
    once per distinct value, the column is gathered from the results (a third of ``.str.lower()``'s time)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    if len(uniques) * 4 > len(values) or (codes < 0).any():  # many distinct values, or missing ones: plain map
        return values.astype(object).map(lambda v: fn(v) if isinstance(v, str) else v)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [fn(str(u)) for u in uniques]
    return pd.Series(results[codes], index=values.index, dtype=object)


def _stripped(chunk: pd.DataFrame, column: str, cache: dict[str, pd.Series]) -> pd.Series:
    if column not in cache:
        # str.strip mapped over the list runs in C and hands back the same string when there is
        # nothing to strip: 5 ms per 100,000 cells, against 16 ms for scanning the column first
        stripped = list(map(str.strip, chunk[column].tolist()))
        cache[column] = pd.Series(stripped, index=chunk.index, dtype=object)
    return cache[column]


def _raw_values(chunk: pd.DataFrame, name: str, columns: Columns, mapping: Mapping, cache: dict[str, pd.Series]) -> pd.Series:
    n = len(chunk)
    if name in mapping.constants:
        return pd.Series([mapping.constants[name]] * n, index=chunk.index, dtype=object)
    spec = columns.sources.get(name)
    if spec is None:
        values = pd.Series([""] * n, index=chunk.index, dtype=object)
    elif isinstance(spec, Template):
        values = pd.Series([""] * n, index=chunk.index, dtype=object)
        for literal, col in spec.parts:
            values = values + literal
            if col is not None:
                values = values + _whole_ids(_stripped(chunk, col, cache))
        # a template over only-empty columns is empty, not just its literal text
        cols = spec.columns
        if cols:
            all_empty = np.logical_and.reduce([_stripped(chunk, c, cache) == "" for c in cols])
            values = values.where(~all_empty, "")
    else:
        values = _stripped(chunk, spec, cache)
    if name in mapping.defaults:
        values = values.where(values != "", mapping.defaults[name])
    return values


def _factorized(values: pd.Series) -> tuple[np.ndarray | None, np.ndarray]:
    """(codes, distinct values) of a column that repeats itself (half as many distinct values as rows or
    fewer), else (None, empty); when nearly all of the first 2,000 cells differ, it is not even tried."""
    cells = values.to_numpy(dtype=object)
    head = cells[:2000]
    if len(cells) < 8 or len(set(head.tolist())) * 10 > len(head) * 9:  # nearly all distinct: not worth it
        return None, cells[:0]
    codes, uniques = pd.factorize(cells)
    if len(uniques) * 2 > len(cells) or (codes < 0).any():
        return None, cells[:0]
    return codes, np.asarray(uniques, dtype=object)


def _numbers(values: pd.Series, mapping: Mapping, scale: float = 1.0) -> pd.Series:
    """Parse a column of numbers, each multiplied by ``scale`` unless its cell states a unit of its own
    (1,200千円: see japanese.money); a column of few distinct texts (a probability, a quantity) has each
    parsed once."""
    codes, uniques = _factorized(values)
    if codes is not None:
        distinct = _numbers_each(pd.Series(uniques, dtype=object), mapping, scale).to_numpy(dtype=np.float64)
        return pd.Series(distinct[codes], index=values.index, dtype=np.float64)
    return _numbers_each(values, mapping, scale)


def _scaled(numbers: pd.Series, scale: float) -> pd.Series:
    # rounded as the probability always was: 1.1 x 1,000,000 is 1,100,000, not 1,100,000.0000000002
    return numbers if scale == 1 else (numbers * scale).round(6)


def _numbers_each(values: pd.Series, mapping: Mapping, scale: float = 1.0) -> pd.Series:
    cells = values.to_numpy(dtype=object)
    filled = cells != ""
    if mapping.decimal == ".":
        # fast path: most cells are plain numbers; only the rest get cleaned below
        present = cells.copy()
        present[~filled] = None
        parsed = np.asarray(pd.to_numeric(present, errors="coerce"), dtype=np.float64)
        numbers = pd.Series(parsed, index=values.index)
        todo = pd.Series(np.isnan(parsed) & filled, index=values.index)
        if not todo.any():
            return _scaled(numbers, scale)
    else:
        numbers = pd.Series(np.nan, index=values.index, dtype="float64")
        todo = values != ""
    text = values[todo].str.replace(_MONEY_NOISE, "", regex=True)
    if mapping.thousands:
        text = text.str.replace(mapping.thousands, "", regex=False)
    elif mapping.decimal == ".":
        text = text.str.replace(",", "", regex=False)
    if mapping.decimal != ".":
        text = text.str.replace(mapping.decimal, ".", regex=False)
    text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # accounting negatives: (1,200)
    numbers[todo] = pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")
    numbers = _scaled(numbers, scale)
    if mapping.decimal == ".":  # what is still unread: yen and numbers as Japanese files write them (1,200千円: its own unit)
        left = todo & numbers.isna()
        if left.any():
            found = [np.nan if (n := money(v, scale)) is None else n for v in values[left].tolist()]
            numbers[left] = np.asarray(found, dtype=np.float64).round(6)
    return numbers


def _local(parsed: pd.Series, timezone: str) -> pd.Series:
    """Values that carried an offset become local wall-clock time, like the ones that did not."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _parse(values: pd.Series, fmt: str, timezone: str) -> pd.Series:
    try:
        return _local(pd.to_datetime(values, format=fmt, errors="coerce"), timezone)
    except ValueError:  # offsets mixed with plain times: read plain ones as UTC rather than fail
        return _local(pd.to_datetime(values, format=fmt, errors="coerce", utc=True), timezone)


def _dates(values: pd.Series, fmt: str | None, timezone: str) -> pd.Series:
    """Parse a column of dates; each distinct text is parsed once (a column of a million dates holds a
    few thousand days), with the same parser on the same set of texts, so the result is the same."""
    codes, uniques = _factorized(values)
    if codes is not None:
        distinct = _dates_each(pd.Series(uniques, dtype=object), fmt, timezone).to_numpy()
        return pd.Series(distinct[codes], index=values.index, dtype="datetime64[ns]")
    return _dates_each(values, fmt, timezone)


def _dates_each(values: pd.Series, fmt: str | None, timezone: str) -> pd.Series:
    present = values.where(values != "", None)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if fmt:
        parsed = _parse(present, fmt, timezone)
    todo = parsed.isna() & (values != "")
    if todo.any():
        parsed[todo] = _parse(present[todo], "ISO8601", timezone)
        left = parsed.isna() & (values != "")
        if left.any():  # 令和6年4月1日, R6.4.1, 2024年4月1日, full-width digits, Excel serial numbers
            found = [japanese_date(v) for v in values[left].tolist()]
            parsed[left] = pd.to_datetime(pd.Series(found, index=values.index[left.to_numpy()], dtype=object)).astype(
                parsed.dtype
            )
    return parsed


def _problems(out: list[Problem], mask: pd.Series, values: pd.Series, *, file: str, column: str, reason: Message) -> None:
    if not mask.any():
        return
    for row, value in zip(values.index[mask.to_numpy()], values[mask], strict=True):
        out.append(Problem(file, int(row), column, str(value), reason))


def chunk_check(chunk: pd.DataFrame, mapping: Mapping, columns: Columns, *, file: str, timezone: str) -> Checked:
    """Map one chunk of source rows to typed Kokyaku fields and report every bad value."""
    fields = schema(mapping.kind)
    wanted = [
        f for f in fields.values() if f.name in columns.sources or f.name in mapping.constants or f.name in mapping.defaults
    ]
    problems: list[Problem] = []
    bad = pd.Series(False, index=chunk.index)
    skipped = pd.Series(False, index=chunk.index)
    data: dict[str, Any] = {}
    cache: dict[str, pd.Series] = {}
    for f in wanted:
        label = columns.label(f.name) if f.name not in mapping.constants else f"[constants] {f.name}"
        raw = _raw_values(chunk, f.name, columns, mapping, cache)
        empty = pd.Series(raw.to_numpy(dtype=object) == "", index=raw.index)  # numpy's compare: a quarter of pandas' cost
        scale = columns.scales.get(f.name, 1.0)
        values, errors, found = _convert(f, raw, ~empty, mapping, scale=scale, timezone=timezone, file=file, column=label)
        problems.extend(found)
        if f.name in mapping.skip_when_empty:
            skipped |= empty
        elif f.required:
            required = Message(gettext_noop("%(field)s is required but empty"), field=f.name)
            _problems(problems, empty, raw, file=file, column=label, reason=required)
            errors |= empty
        bad |= errors
        data[f.name] = values
    # problems on skipped rows are not problems: the row is left out anyway
    if skipped.any() and problems:
        skipped_rows = set(chunk.index[skipped.to_numpy()])
        problems = [p for p in problems if p.row not in skipped_rows]
    bad &= ~skipped
    problems.sort(key=lambda p: p.row)
    frame = pd.DataFrame(data, index=chunk.index)
    keep = ~(bad | skipped)
    return Checked(
        data=frame[keep.to_numpy()],
        problems=problems,
        bad=chunk.index[bad.to_numpy()],
        skipped=chunk.index[skipped.to_numpy()],
        raw=chunk,
    )


def _convert(
    f: Field, raw: pd.Series, present: pd.Series, mapping: Mapping, *, scale: float, timezone: str, file: str, column: str
) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """Return the typed values, the mask of bad ones and their problems for one field."""
    problems: list[Problem] = []
    errors = pd.Series(False, index=raw.index)

    def fail(mask: pd.Series | np.ndarray, reason: Message) -> None:
        nonlocal errors
        found = np.asarray(mask, dtype=bool) & ~errors.to_numpy()
        if found.any():
            _problems(problems, pd.Series(found, index=raw.index), raw, file=file, column=column, reason=reason)
            errors |= found

    values: pd.Series
    if f.name in mapping.values:
        table = mapping.values[f.name]
        mapped = raw.map(table)
        if mapped.isna().any():  # "Closed won" for "Closed Won", 「成立」 for 「成立 」: case, widths and spaces set aside
            folded = {header_key(k): v for k, v in table.items()}
            mapped = mapped.fillna(per_distinct(raw, header_key).map(folded))
        if f.choices:
            lowered = per_distinct(raw, str.lower)
            direct = lowered.where(lowered.isin(f.choices))
            mapped = mapped.fillna(direct)
            unknown = present & mapped.isna()
            listed = ", ".join(sorted(table)[:12]) + (" ..." if len(table) > 12 else "")
            fail(
                unknown,
                Message(
                    gettext_noop("unknown %(field)s value; the mapping knows: %(known)s (add it under [values.%(field)s])"),
                    field=f.name,
                    known=listed,
                ),
            )
            raw_mapped = mapped.fillna("").astype(object)
        else:
            raw_mapped = mapped.fillna(raw).astype(object)
    else:
        raw_mapped = raw

    if f.type in {"str", "ref"}:
        values = raw_mapped.astype(object)
        if f.name not in FREE_TEXT and not "".join(values.tolist()).isascii():  # one C-speed pass: usually ASCII
            values = per_distinct(values, normalise)
        if f.type == "ref" and mapping.ref_separator:
            values = values.str.split(mapping.ref_separator, n=1).str[0].str.strip()
        if f.type == "ref":
            values = _whole_ids(values)
        if f.max_length and max(map(len, values.tolist()), default=0) > f.max_length:  # one C-speed pass first
            fail(values.str.len() > f.max_length, Message(gettext_noop("longer than %(limit)s characters"), limit=f.max_length))
    elif f.type == "choice":
        values = per_distinct(raw_mapped, str.lower) if f.name not in mapping.values else raw_mapped
        fail(
            present & ~values.isin(f.choices) & ~errors,
            Message(gettext_noop("must be one of %(choices)s"), choices=", ".join(f.choices)),
        )
    elif f.type == "currency":
        values = per_distinct(raw_mapped, str.upper)
        fail(
            present & ~values.isin(ISO_4217),
            Message(gettext_noop("not an ISO 4217 currency code (for example JPY, USD or EUR)")),
        )
    elif f.type in {"int", "decimal"}:
        # [scale] (HubSpot's probability 0.2 is 20 %; amounts in thousands), or a money column's header unit
        numbers = _numbers(raw_mapped.astype(object), mapping, scale)
        # checks on plain arrays: the same masks as Series operations, without their per-call cost
        got, given = numbers.to_numpy(dtype=np.float64), present.to_numpy(dtype=bool)
        known = np.where(np.isnan(got), 0.0, got)
        fail(given & np.isnan(got), Message(gettext_noop("not a number")))
        fail(given & ~np.isfinite(known), Message(gettext_noop("not a finite number")))
        with np.errstate(invalid="ignore"):
            if f.type == "int":
                fail(given & (known % 1 != 0), Message(gettext_noop("not a whole number")))
            if f.minimum is not None:
                reason = (
                    Message(gettext_noop("negative value not allowed"))
                    if f.minimum == 0
                    else Message(gettext_noop("less than %(minimum)s"), minimum=f.minimum)
                )
                fail(given & (got < float(f.minimum)), reason)
            if f.maximum is not None:
                fail(given & (got > float(f.maximum)), Message(gettext_noop("more than %(maximum)s"), maximum=f.maximum))
            if f.type == "decimal":
                fail(
                    given & (np.abs(got) >= 1e16), Message(gettext_noop("too large (at most 16 digits before the decimal point)"))
                )
        values = numbers
    elif f.type in {"date", "datetime"}:
        fmt = mapping.date_format if f.type == "date" else (mapping.datetime_format or mapping.date_format)
        parsed = _dates(raw_mapped.astype(object), fmt, timezone)
        not_a_date = (
            Message(gettext_noop("not a date (expected %(format)s or ISO 8601)"), format=fmt)
            if fmt
            else Message(gettext_noop("not a date (expected ISO 8601, e.g. 2026-04-01)"))
        )
        fail(present & parsed.isna(), not_a_date)
        if f.type == "datetime":
            try:
                parsed = parsed.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
            except (TypeError, ValueError) as exc:  # pragma: no cover - an unknown timezone name
                raise ImportFileError.of(
                    gettext_noop("mapping %(mapping)s: bad timezone %(timezone)s: %(error)s"),
                    mapping=mapping.name,
                    timezone=repr(timezone),
                    error=exc,
                ) from None
            parsed = parsed.dt.tz_convert(None)
        values = parsed
    elif f.type == "bool":
        lowered = per_distinct(raw_mapped, str.lower)
        truthy = lowered.isin(mapping.true_values)
        falsy = lowered.isin(mapping.false_values)
        fail(
            present & ~truthy & ~falsy, Message(gettext_noop("not yes/no (true: %(true)s)"), true=", ".join(mapping.true_values))
        )
        values = truthy
    else:  # pragma: no cover - the schema only uses the types above
        raise AssertionError(f.type)
    return values, errors, problems
