"""Optimistic locking of accounts and deals: two people editing one record never silently overwrite each other.

Every write to an account or a deal bumps its ``version`` (the crm services here; the imports, assignment
plans and buyer-type suggestions in their bulk SQL). An edit says which version it started from (the web
form's hidden ``version``, the API's ``version`` field or ``If-Match`` header); :func:`claim` locks the row
and refuses the edit with :class:`EditConflict` when the record has moved on since, naming who changed it
and when. Nothing is written then; the caller shows the current values (web: the form again, 409; API: 409
with ``detail`` and the current record).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.crm.models import Account, Change, Deal, Rep


class EditConflict(Exception):
    """The record changed after the editor read it: nothing was saved."""

    def __init__(self, *, record: Account | Deal, yours: int, current: int, changed_by: str, changed_at: datetime | None):
        self.record = record
        self.yours = yours
        self.current = current
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(self.message())

    def message(self) -> str:
        """The translated one-paragraph explanation (the active language)."""
        values = {"who": self.changed_by, "yours": self.yours, "current": self.current}
        if self.changed_at is not None:
            values["when"] = timezone.localtime(self.changed_at).strftime("%Y-%m-%d %H:%M")
            if isinstance(self.record, Account):
                text = _(
                    "%(who)s changed this account at %(when)s, after you opened it (your version %(yours)s, now "
                    "%(current)s). Nothing was saved: check the current values and make your change again."
                )
            else:
                text = _(
                    "%(who)s changed this deal at %(when)s, after you opened it (your version %(yours)s, now "
                    "%(current)s). Nothing was saved: check the current values and make your change again."
                )
        elif isinstance(self.record, Account):
            text = _(
                "%(who)s changed this account after you opened it (your version %(yours)s, now %(current)s). "
                "Nothing was saved: check the current values and make your change again."
            )
        else:
            text = _(
                "%(who)s changed this deal after you opened it (your version %(yours)s, now %(current)s). "
                "Nothing was saved: check the current values and make your change again."
            )
        return text % values


def parse_version(value: object) -> int | None:
    """A version from a form field or an ``If-Match`` header (``3``, ``"3"``, ``W/"3"``); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        text = text.removeprefix("W/").strip('"')
        if not text.isdigit():
            raise ValidationError(_("version: %(value)s is not a version number.") % {"value": repr(value)})
        number = int(text)
    if number < 1:
        raise ValidationError(_("version: %(value)s is not a version number.") % {"value": repr(value)})
    return number


def _last_change(record: Account | Deal) -> tuple[str, datetime | None]:
    """Who made the latest change to ``record`` and when: its newest history row, else (an import, a plan) its stamp."""
    changes = Change.objects.select_related("actor")
    mine = changes.filter(deal_id=record.pk) if isinstance(record, Deal) else changes.filter(account_id=record.pk, deal=None)
    row = mine.first()
    when = row.at if row is not None else (record.updated_at if isinstance(record, Account) else None)
    if row is None or row.actor is None:
        return _("Someone else (an import, an assignment plan or another program)"), when
    rep = Rep.objects.filter(user=row.actor).values_list("name", flat=True).first()
    return rep or row.actor.get_full_name() or row.actor.get_username(), row.at


def claim(record: Account | Deal, expected: int | None) -> bool:
    """Lock ``record``'s row for this transaction; refuse when it is no longer at version ``expected``.

    With ``expected`` None (an API client that sends no version) the edit goes through, but against the
    stored values: a record changed between the caller's read and the lock is read again first. Return
    whether ``record`` was read again.
    """
    stored = type(record).objects.select_for_update().filter(pk=record.pk).values_list("version", flat=True).first()
    if stored is None:
        raise ValidationError(_("This record no longer exists."))
    if expected is not None and stored != expected:
        record.refresh_from_db()
        who, when = _last_change(record)
        raise EditConflict(record=record, yours=expected, current=stored, changed_by=who, changed_at=when)
    if stored != record.version:
        record.refresh_from_db()
        return True
    return False
