"""What can go wrong in an import. Pure: no Django import.

Every message is a :class:`Message`: it *is* its English text (the CLI, the API's JSON and the rejects
file show it as before) and it keeps its msgid and parameters, so a web page renders it in the
reader's language at display time (``kokyaku.imports.i18n.translated``). Problems are rare: a message
is built once per check that found something, never per row, and translated only when shown.
"""

from __future__ import annotations

from dataclasses import dataclass


def gettext_noop(text: str) -> str:
    """Mark ``text`` for ``make messages`` (xgettext knows this name) without translating it here."""
    return text


class Message(str):
    """English text that remembers how to be translated: its msgid (``%(name)s`` placeholders) and params.

    Parameters are data (file, row, column, value...) and are never translated, except those that
    are Messages themselves. Wording that depends on a count uses two msgids (one / other), picked in
    English: right for English and Japanese, the two languages Kokyaku ships.
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, /, **params: object) -> Message:
        self = super().__new__(cls, msgid % {k: _text(v) for k, v in params.items()} if params else msgid)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self) -> tuple[object, ...]:  # copy / pickle keep msgid and params
        return (_message, (self.msgid, self.params))


def _text(value: object) -> str:
    """A parameter as English text; a tuple is a list of items (each may be a Message), comma-separated."""
    return ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _message(msgid: str, params: dict[str, object]) -> Message:
    return Message(msgid, **params)


def message_json(value: object) -> object:
    """A message as JSON data that keeps it translatable (for the import history); plain text stays text."""
    if isinstance(value, Message):
        return {"msgid": value.msgid, "params": {k: message_json(v) for k, v in value.params.items()}}
    if isinstance(value, tuple):
        return {"items": [message_json(v) for v in value]}
    return str(value)


def message_from_json(data: object) -> str:
    """The :class:`Message` (or text) that :func:`message_json` stored."""
    if isinstance(data, dict) and "msgid" in data:
        return Message(str(data["msgid"]), **{k: _from_param(v) for k, v in dict(data.get("params") or {}).items()})
    return str(data)


def _from_param(data: object) -> object:
    if isinstance(data, dict) and "items" in data:
        return tuple(message_from_json(v) for v in data["items"])
    return message_from_json(data)


class ImportFileError(Exception):
    """The file (or the mapping) cannot be used at all: unreadable, empty, wrong encoding, bad TOML..."""

    @classmethod
    def of(cls, msgid: str, /, **params: object) -> ImportFileError:
        """``raise ImportFileError.of(gettext_noop("%(file)s is empty"), file=name)``: the error of a Message."""
        return cls(Message(msgid, **params))

    @property
    def message(self) -> str:
        """The message (a :class:`Message` when raised by the import code), for translation."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is and why it was refused. ``row`` counts the header as row 1, like Excel.

    ``reason`` is a :class:`Message` (a str) made once per check and shared by the rows it refused.
    """

    file: str
    row: int
    column: str
    value: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", shown_value(self.value))

    def __str__(self) -> str:
        where = f"{self.file}: row {self.row}" + (f", column '{self.column}'" if self.column else "")
        value = f", value '{self.value}'" if self.value != "" else ""
        return f"{where}{value}: {self.reason}"


MAX_VALUE_SHOWN = 200  # characters of a value a message shows (a 10 MB cell is not printed, nor kept in the history)


def shown_value(value: str) -> str:
    """A value as a message shows it: as typed (no escapes), cut after MAX_VALUE_SHOWN characters, saying how long it was."""
    if len(value) <= MAX_VALUE_SHOWN:
        return value
    return f"{value[:MAX_VALUE_SHOWN]}… ({len(value):,} characters)"


class ImportInvalid(Exception):
    """Rows failed validation and nothing was written (the default, all-or-nothing mode)."""

    def __init__(self, problems: list[Problem], problem_count: int) -> None:
        self.problems = problems
        self.problem_count = problem_count
        super().__init__(self.sentence("use --skip-invalid --rejects PATH"))

    def sentence(self, skip: str) -> str:
        """The English sentence, ``skip`` saying how to import the good rows where it is read (CLI option, API field)."""
        first = f"; first: {self.problems[0]}" if self.problems else ""
        noun = "problem" if self.problem_count == 1 else "problems"
        return (
            f"{self.problem_count} {noun} found, nothing was written{first}. "
            f"Fix the file or the mapping, or {skip} to import the good rows."
        )
