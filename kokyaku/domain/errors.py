"""The domain core's own exception type, and the words it is raised with. Pure: no Django import.

A message a user meets through a command or a page is raised with :meth:`DomainError.of`: the error's
text stays its English wording (logs, tests, --json notes), and it keeps its msgid and parameters so the
Django layer shows it in the reader's language (``kokyaku.lib.refusals.domain_text``). Other messages
(a programming error, a malformed frame) stay plain English text.
"""

from __future__ import annotations


def gettext_noop(text: str) -> str:
    """Mark ``text`` for ``makemessages`` (xgettext knows this name) without translating it here."""
    return text


class Text(str):
    """English text that remembers its msgid (``%(name)s`` placeholders) and parameters.

    Parameters are data (numbers, codes, names) and are never translated, except those that are Texts
    themselves; a tuple is a list of items shown comma-separated.
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, /, **params: object) -> Text:
        self = super().__new__(cls, msgid % {k: _english(v) for k, v in params.items()} if params else msgid)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self) -> tuple[object, ...]:  # copy / pickle keep msgid and params
        return (_text, (self.msgid, self.params))


def _english(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _text(msgid: str, params: dict[str, object]) -> Text:
    return Text(msgid, **params)


class DomainError(ValueError):
    """Invalid input to a domain computation; the message says which input and why."""

    @classmethod
    def of(cls, msgid: str, /, **params: object) -> DomainError:
        """``raise DomainError.of(gettext_noop("found %(n)s"), n=n)``: str() is the English text."""
        return cls(Text(msgid, **params))

    @property
    def text(self) -> str:
        """The message: a :class:`Text` when raised with :meth:`of`, else the plain text."""
        return self.args[0] if self.args and isinstance(self.args[0], Text) else str(self)
