"""Mapping files: which source column feeds which Kokyaku field, formats, value maps. Pure: no Django.

A mapping is TOML::

    kind = "deals"
    description = "Salesforce Opportunity export"

    [file]                      # all optional; detected when absent
    encoding = "utf-8"
    delimiter = ","
    sheet = "Opportunities"     # XLSX only
    header_row = 3              # XLSX only: the header's row; found by itself when absent (a title above it)

    [format]
    date = "%Y-%m-%d"           # strptime format; ISO 8601 is always accepted too
    datetime = "%Y-%m-%d %H:%M:%S"
    decimal = "."               # "," for 1.234,56
    thousands = ","             # removed before parsing numbers
    timezone = "Asia/Tokyo"     # for date-times without an offset
    true = ["true", "1", "yes"]
    false = ["false", "0", "no"]

    [columns]                   # field = "Source column", or a template "Customer {CustomerID}"
    external_id = "Id"

    [constants]                 # field = value, whatever the file says
    currency = "JPY"

    [defaults]                  # field = value, used where the column is empty
    opened_on = "2017-12-31"

    [values.status]             # source value = Kokyaku value (exact match after trimming)
    "Closed Won" = "won"

    [scale]                     # field = number: the column's numbers are multiplied by it (money fields, probability)
    amount = 1000               # amounts written in thousands (金額（千円）: 1,200 is 1,200,000)
    annual_revenue = 1_000_000  # in millions; without [scale], a unit in the column's header (千円, $000) is used

    [options]
    skip_when_empty = ["account"]   # rows with these fields empty are skipped and reported, not errors
    id_prefix = "INV-"              # purchases: deal external id = prefix + invoice
    cancellation_prefix = "C"       # purchases: "C123" reduces invoice "123"
    ref_separator = ";"             # a reference cell listing several ids: the first one counts
    probability_scale = 100         # a synonym of [scale] probability = 100: HubSpot's 0.2 is 20 (%)
"""

from __future__ import annotations

import math
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

import tomlkit
import tomlkit.exceptions

from kokyaku.imports.errors import ImportFileError, Message, gettext_noop
from kokyaku.imports.fields import KINDS, scalable_fields, schema

BUILTIN_DIR = Path(__file__).resolve().parent / "mappings"
BUILTIN_NAMES = ("generic", "salesforce", "hubspot", "salesforce_report", "salesforce_report_ja", "kintone")

_SECTIONS = {"kind", "description", "file", "format", "columns", "constants", "defaults", "values", "scale", "options"}


@dataclass(frozen=True)
class Template:
    """A value built from literal text and source columns, e.g. ``Customer {CustomerID}``."""

    parts: tuple[tuple[str, str | None], ...]  # (literal, column or None)

    @property
    def columns(self) -> list[str]:
        return [c for _lit, c in self.parts if c is not None]


@dataclass(frozen=True)
class Mapping:
    kind: str
    name: str = "generic"
    description: str = ""
    columns: dict[str, str | Template] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    date_format: str | None = None
    datetime_format: str | None = None
    decimal: str = "."
    thousands: str = ""
    timezone: str | None = None
    true_values: tuple[str, ...] = ("true", "1", "yes", "y", "t")
    false_values: tuple[str, ...] = ("false", "0", "no", "n", "f", "")
    skip_when_empty: tuple[str, ...] = ()
    id_prefix: str = ""
    cancellation_prefix: str = ""
    ref_separator: str = ""
    scale: dict[str, float] = field(default_factory=dict)  # [scale]: field -> multiplier (options.probability_scale too)

    @property
    def probability_scale(self) -> float:
        """``[scale] probability``, which ``[options] probability_scale`` also sets (1 when neither does)."""
        return self.scale.get("probability", 1.0)

    @property
    def covered(self) -> set[str]:
        """Fields that get a value from a column, a constant or a default."""
        return set(self.columns) | set(self.constants) | set(self.defaults)

    def source_columns(self) -> set[str]:
        """Every source column the mapping reads."""
        cols: set[str] = set()
        for spec in self.columns.values():
            cols.update(spec.columns if isinstance(spec, Template) else [spec])
        return cols


def _where(name: str, section: str) -> Message:
    """Where in a mapping a problem is: "mapping deals.toml: [columns]"."""
    return Message(gettext_noop("mapping %(mapping)s: %(section)s"), mapping=name, section=section)


def _template(text: str, where: str) -> str | Template:
    if "{" not in text:
        return text
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ImportFileError.of(
            gettext_noop("%(where)s: bad template %(template)s: %(error)s"), where=where, template=repr(text), error=exc
        ) from None
    parts = tuple((literal, name if name is not None else None) for literal, name, _spec, _conv in parsed)
    return Template(parts)


def _str_table(data: object, where: str) -> dict[str, str]:
    if not isinstance(data, dict):
        raise ImportFileError.of(gettext_noop('%(where)s must be a table of name = "value"'), where=where)
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str | int | float):
            raise ImportFileError.of(
                gettext_noop("%(where)s.%(key)s must be a string, got %(value)s"), where=where, key=key, value=repr(value)
            )
        out[str(key)] = str(value)
    return out


def mapping_parse(text: str, *, name: str = "mapping", kind: str | None = None) -> Mapping:
    """Parse and check a mapping's TOML; raise ImportFileError naming the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: not valid TOML: %(error)s"), mapping=name, error=exc
        ) from None
    unknown = set(data) - _SECTIONS
    if unknown:
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: unknown section(s) %(sections)s; allowed: %(allowed)s"),
            mapping=name,
            sections=sorted(unknown),
            allowed=sorted(_SECTIONS),
        )
    file_kind = data.get("kind", kind)
    if kind is not None and file_kind != kind:
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s is for %(found)s, not %(kind)s"),
            mapping=name,
            found=repr(file_kind),
            kind=repr(kind),
        )
    if file_kind not in KINDS:
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: kind must be one of %(kinds)s; got %(kind)s"),
            mapping=name,
            kinds=", ".join(KINDS),
            kind=repr(file_kind),
        )
    fields = schema(file_kind)

    columns_raw = _str_table(data.get("columns", {}), _where(name, "[columns]"))
    constants = _str_table(data.get("constants", {}), _where(name, "[constants]"))
    defaults = _str_table(data.get("defaults", {}), _where(name, "[defaults]"))
    for section, table in (("columns", columns_raw), ("constants", constants), ("defaults", defaults)):
        for key in table:
            if key not in fields:
                raise ImportFileError.of(
                    gettext_noop("mapping %(mapping)s: [%(section)s] %(key)s is not a %(kind)s field; fields: %(fields)s"),
                    mapping=name,
                    section=section,
                    key=repr(key),
                    kind=file_kind,
                    fields=", ".join(fields),
                )
    columns = {k: _template(v, _where(name, f"[columns].{k}")) for k, v in columns_raw.items()}
    values_raw = data.get("values", {})
    if not isinstance(values_raw, dict):
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: [values] must hold tables like [values.status]"), mapping=name
        )
    values: dict[str, dict[str, str]] = {}
    for key, table in values_raw.items():
        if key not in fields:
            raise ImportFileError.of(
                gettext_noop("mapping %(mapping)s: [values.%(field)s]: %(key)s is not a %(kind)s field"),
                mapping=name,
                field=key,
                key=repr(key),
                kind=file_kind,
            )
        values[key] = {k.strip(): v for k, v in _str_table(table, _where(name, f"[values.{key}]")).items()}
        if fields[key].choices:
            bad = sorted({v for v in values[key].values() if v not in fields[key].choices})
            if bad:
                raise ImportFileError.of(
                    gettext_noop(
                        "mapping %(mapping)s: [values.%(field)s] maps to %(bad)s, but %(field)s must be one of %(choices)s"
                    ),
                    mapping=name,
                    field=key,
                    bad=bad,
                    choices=", ".join(fields[key].choices),
                )

    file_sec = _str_table(data.get("file", {}), _where(name, "[file]"))
    fmt = data.get("format", {})
    if not isinstance(fmt, dict):
        raise ImportFileError.of(gettext_noop("mapping %(mapping)s: [format] must be a table"), mapping=name)
    fmt_str = _str_table({k: v for k, v in fmt.items() if k not in {"true", "false"}}, _where(name, "[format]"))
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ImportFileError.of(gettext_noop("mapping %(mapping)s: [options] must be a table"), mapping=name)
    skip = options.get("skip_when_empty", [])
    if not isinstance(skip, list) or any(s not in fields for s in skip):
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: options.skip_when_empty must list %(kind)s fields; got %(value)s"),
            mapping=name,
            kind=file_kind,
            value=repr(skip),
        )

    def _flags(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = fmt.get(key)
        if raw is None:
            return default
        if not isinstance(raw, list):
            raise ImportFileError.of(
                gettext_noop("mapping %(mapping)s: format.%(key)s must be a list of strings"), mapping=name, key=key
            )
        return tuple(str(x).strip().lower() for x in raw)

    mapping = Mapping(
        kind=file_kind,
        name=name,
        description=str(data.get("description", "")),
        columns=columns,
        constants=constants,
        defaults=defaults,
        values=values,
        encoding=file_sec.get("encoding"),
        delimiter=_unescape_delimiter(file_sec["delimiter"]) if "delimiter" in file_sec else None,
        sheet=file_sec.get("sheet"),
        header_row=_header_row(file_sec.get("header_row"), name),
        date_format=fmt_str.get("date"),
        datetime_format=fmt_str.get("datetime"),
        decimal=fmt_str.get("decimal", "."),
        thousands=fmt_str.get("thousands", ""),
        timezone=fmt_str.get("timezone"),
        true_values=_flags("true", Mapping.true_values),
        false_values=_flags("false", Mapping.false_values),
        skip_when_empty=tuple(skip),
        id_prefix=str(options.get("id_prefix", "")),
        cancellation_prefix=str(options.get("cancellation_prefix", "")),
        ref_separator=str(options.get("ref_separator", "")),
        scale=_scales(data.get("scale", {}), options, name=name, kind=file_kind),
    )
    missing: list[str] = [f.name for f in fields.values() if f.required and f.name not in mapping.covered]
    if file_kind == "purchases" and not ({"amount"} & mapping.covered or {"quantity", "unit_price"} <= mapping.covered):
        missing.append(Message(gettext_noop("amount (or quantity and unit_price)")))
    if missing:
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: required %(kind)s field(s) not mapped: %(fields)s"),
            mapping=name,
            kind=file_kind,
            fields=tuple(missing),
        )
    return mapping


def _scales(table: object, options: dict[str, object], *, name: str, kind: str) -> dict[str, float]:
    """``[scale]`` checked: each key a money field of ``kind`` (or probability), each value a positive number;
    ``[options] probability_scale`` is its older spelling of ``[scale] probability``."""
    if not isinstance(table, dict):
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: [scale] must be a table of field = number, e.g. amount = 1000"), mapping=name
        )
    allowed = scalable_fields(kind)
    scales: dict[str, float] = {}
    for key, value in table.items():
        if key not in allowed:
            raise ImportFileError.of(
                gettext_noop("mapping %(mapping)s: [scale] %(key)s is not a money field of %(kind)s; these are: %(fields)s"),
                mapping=name,
                key=repr(key),
                kind=kind,
                fields=", ".join(allowed) or "-",
            )
        if not _positive(value):
            raise ImportFileError.of(
                gettext_noop(
                    "mapping %(mapping)s: [scale] %(key)s must be a positive number (1000 for amounts in thousands, "
                    "1 to read the numbers as they are); got %(value)s"
                ),
                mapping=name,
                key=key,
                value=repr(value),
            )
        scales[key] = float(value)
    if "probability_scale" in options:
        value = options["probability_scale"]
        if not _positive(value):
            raise ImportFileError.of(
                gettext_noop(
                    "mapping %(mapping)s: options.probability_scale must be a positive number (100 for 0.2 = 20%%); got %(value)s"
                ),
                mapping=name,
                value=repr(value),
            )
        if kind == "deals":
            scales.setdefault("probability", float(value))
    return scales


def _positive(value: object) -> TypeGuard[int | float]:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value) and value > 0


def _header_row(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ImportFileError.of(
            gettext_noop("mapping %(mapping)s: [file] header_row must be a row number (1 or more); got %(value)s"),
            mapping=name,
            value=repr(value),
        )
    return int(value)


def _unescape_delimiter(value: str) -> str:
    named = {"\\t": "\t", "tab": "\t", "TAB": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value, value)
    if len(value) != 1:
        raise ImportFileError.of(gettext_noop("delimiter must be one character (or 'tab'); got %(value)s"), value=repr(value))
    return value


def unescape_delimiter(value: str) -> str:
    """Turn a user's delimiter (',', ';', 'tab', '\\t') into the one character; raise on anything else."""
    return _unescape_delimiter(value)


_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def mapping_load(name_or_path: str | None, *, kind: str) -> Mapping:
    """Load a built-in mapping by name (generic, salesforce, hubspot) or a TOML file by path."""
    name_or_path = name_or_path or "generic"
    path = Path(name_or_path)
    if _NAME.match(name_or_path) and not path.exists():
        builtin = BUILTIN_DIR / name_or_path / f"{kind}.toml"
        if not builtin.exists():
            known = [n for n in BUILTIN_NAMES if (BUILTIN_DIR / n / f"{kind}.toml").exists()]
            raise ImportFileError.of(
                gettext_noop("no built-in mapping %(mapping)s for %(kind)s; built-in: %(known)s, or give a path to a .toml file"),
                mapping=repr(name_or_path),
                kind=kind,
                known=", ".join(known),
            )
        return mapping_parse(builtin.read_text(encoding="utf-8"), name=name_or_path, kind=kind)
    if not path.is_file():
        raise ImportFileError.of(gettext_noop("mapping file not found: %(path)s"), path=name_or_path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError.of(gettext_noop("mapping file %(path)s is not UTF-8 text"), path=name_or_path) from None
    return mapping_parse(text, name=path.name, kind=kind)


def builtin_mapping_text(name: str, *, kind: str) -> str:
    """The TOML of a built-in mapping, as shipped (comments and all), for editing on the review page."""
    return (BUILTIN_DIR / name / f"{kind}.toml").read_text(encoding="utf-8")


def builtin_mappings(kind: str) -> list[str]:
    """Return the names of the built-in mappings that exist for a kind."""
    return [n for n in BUILTIN_NAMES if (BUILTIN_DIR / n / f"{kind}.toml").exists()]


def mapping_set_columns(text: str, changes: dict[str, str | None]) -> str:
    """Return the mapping TOML ``text`` with ``[columns]`` entries set (field -> source column) or removed (None).

    tomlkit edits the document in place: comments (even one after a changed entry), other sections
    and every other entry stay as written, so a mapping edited by hand keeps its notes. A field not
    yet under ``[columns]`` is added at the end of that table (the table is added at the end when
    the text has none). Text that is not valid TOML comes back unchanged: the review page says what
    is wrong with it, and the picks can be made again once it parses.
    """
    return _set_entries(text, "columns", dict(changes))


def mapping_set_scale(text: str, changes: dict[str, float | None]) -> str:
    """Return the mapping TOML ``text`` with ``[scale]`` entries set (field -> multiplier) or removed (None),
    edited in place as :func:`mapping_set_columns` edits ``[columns]``; a whole multiplier is written as an integer."""
    whole: dict[str, str | int | float | None] = {
        k: (int(v) if v is not None and v.is_integer() else v) for k, v in changes.items()
    }
    return _set_entries(text, "scale", whole)


def _set_entries(text: str, section: str, changes: dict[str, str | int | float | None]) -> str:
    if not changes:
        return text
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError:
        return text
    table = document.get(section)
    if table is None and all(v is None for v in changes.values()):
        return text  # only removals from a table the text does not have
    if table is None:
        table = tomlkit.table()
        document.add(section, table)
    if not isinstance(table, dict):  # `columns = "x"`: not a table; mapping_parse says so
        return text
    for name, value in changes.items():
        if value is not None:
            table[name] = value
        elif name in table:
            del table[name]
    return tomlkit.dumps(document)
