"""Duplicate accounts and reps (one name written several ways) found for review, and merged into one.

株式会社ABC商事, 株式会社ＡＢＣ商事, (株)ABC商事 and ㈱ABC商事 share a name key (:func:`japanese.name_key`), as
do 山田 太郎, 山田　太郎 and 山田太郎. An import matches new references by that key, but records that
already exist twice stay two until a manager merges them: :func:`duplicates_find` lists each group
for review, :func:`duplicates_merge` moves every row that refers to the duplicates (deals,
activities, follow-ups, key persons, objections, hand-overs, snapshot rows, the change history
...) to the record kept, deletes the duplicates and writes one audit line (:class:`NameMerge`),
all in one transaction.

The tables are found through the models' relations, so a table added later follows by itself.
Where the kept record already has the one row a table allows (a pin, a buyer-type suggestion, a
target for the same period, a snapshot row in the same snapshot, an open follow-up), the
duplicate's row is dropped and counted in the audit line; every other row moves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.crm.models import Account, Change, Deal, Rep
from kokyaku.crm.permissions import check
from kokyaku.imports.japanese import name_key
from kokyaku.imports.models import MergedId, NameMerge

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

MODELS: dict[str, type[Account] | type[Rep]] = {"account": Account, "rep": Rep}


@dataclass(frozen=True)
class Record:
    pk: int
    external_id: str
    name: str
    deals: int  # deals of the account, or deals the rep owns


@dataclass
class Group:
    """Records of one kind sharing a name key; ``records[0]`` is the one suggested to keep (most deals, then oldest)."""

    kind: str
    key: str
    records: list[Record] = field(default_factory=list)

    @property
    def keep(self) -> Record:
        return self.records[0]


def duplicates_find(kind: str) -> list[Group]:
    """Every group of two or more ``kind`` records ("account" or "rep") whose names share a name key.

    One pass over the names (the key is computed in Python, a few microseconds a name), then one
    aggregate query for the deal counts of the records in groups.
    """
    model = MODELS[kind]
    by_key: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for pk, ext, name in model._default_manager.values_list("pk", "external_id", "name").iterator(chunk_size=20_000):
        if key := name_key(name or ""):
            by_key[key].append((pk, ext or "", name))
    groups = {k: v for k, v in by_key.items() if len(v) > 1}
    if not groups:
        return []
    pks = [pk for members in groups.values() for pk, _e, _n in members]
    column = "account" if kind == "account" else "owner"
    counts: dict[int, int] = {}
    for start in range(0, len(pks), 5000):
        batch = pks[start : start + 5000]
        rows = Deal.objects.filter(**{f"{column}__in": batch}).values(column).annotate(n=Count("pk"))
        counts.update({int(r[column]): int(r["n"]) for r in rows})
    out = []
    for key, members in groups.items():
        records = [Record(pk, ext, name, counts.get(pk, 0)) for pk, ext, name in members]
        records.sort(key=lambda r: (-r.deals, r.pk))
        out.append(Group(kind, key, records))
    out.sort(key=lambda g: g.keep.name)
    return out


@dataclass
class MergeResult:
    audit: NameMerge
    moved: dict[str, int]
    dropped: dict[str, int]
    aliases: list[str] = field(default_factory=list)  # external ids that now name the kept record


def _relations(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """Every foreign key (and one-to-one) of any model that points at ``model``, hidden ones (related_name="+") too."""
    out: list[models.ForeignKey[Any, Any]] = []
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            fk = rel.field  # type: ignore[union-attr]
            if isinstance(fk, models.ForeignKey) and fk.concrete and fk.related_model is model:
                out.append(fk)
    return sorted(out, key=lambda f: (f.model._meta.label, f.name))


def _plain(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _move(fk: models.ForeignKey[Any, Any], kept: int, gone: list[int]) -> tuple[int, int]:
    """Point ``fk`` at ``kept`` wherever it points at one of ``gone``: (rows moved, rows dropped).

    One UPDATE; only when a unique rule refuses it (the kept record has its own row already) are the
    rows moved one by one, each refused one deleted.
    """
    related = fk.model._default_manager
    rows = related.filter(**{f"{fk.name}__in": gone})
    try:
        with transaction.atomic():
            return rows.update(**{fk.name: kept}), 0
    except IntegrityError:
        pass
    moved = dropped = 0
    for pk in list(rows.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                moved += related.filter(pk=pk).update(**{fk.name: kept})
        except IntegrityError:
            related.filter(pk=pk).delete()
            dropped += 1
    return moved, dropped


@transaction.atomic
def duplicates_merge(*, actor: AbstractBaseUser | AnonymousUser | None, kind: str, keep: int, merge: list[int]) -> MergeResult:
    """Merge the ``kind`` records ``merge`` into ``keep``: their rows move, they are deleted, one audit line.

    Managers only (``duplicates_merge`` right; ``actor`` None is the command line). The records must
    exist and share ``keep``'s name key: records whose names differ are never merged. Two reps with
    a login each are refused (a login belongs to one rep); a login of a merged rep moves to the kept
    one. Raises ValidationError (translated) with nothing changed otherwise.
    """
    check(actor, "duplicates_merge")
    model = MODELS[kind]
    gone_ids = sorted({int(pk) for pk in merge} - {int(keep)})
    if not gone_ids:
        raise ValidationError(_("Choose at least one record to merge into the one kept."))
    records = {r.pk: r for r in model._default_manager.select_for_update().filter(pk__in=[keep, *gone_ids])}
    missing = [pk for pk in [keep, *gone_ids] if pk not in records]
    if missing:
        raise ValidationError(_("These records do not exist (any more): %(ids)s") % {"ids": ", ".join(map(str, missing))})
    kept = records[keep]
    gone = [records[pk] for pk in gone_ids]
    other = [r.name for r in gone if name_key(r.name) != name_key(kept.name) or not name_key(kept.name)]
    if other:
        raise ValidationError(
            _("Only records whose names are the same once legal forms, widths and spaces are set aside can be merged: %(names)s")
            % {"names": " / ".join([kept.name, *other])}
        )
    user_moves: int | None = None
    if isinstance(kept, Rep):
        logins = [r for r in [kept, *gone] if isinstance(r, Rep) and r.user_id is not None]
        if len(logins) > 1:
            raise ValidationError(
                _("%(names)s each have a login; a login belongs to one rep. Remove all but one first.")
                % {"names": " / ".join(r.name for r in logins)}
            )
        if logins and logins[0].pk != kept.pk:
            user_moves = logins[0].user_id
    merged = [
        {f.attname: _plain(getattr(r, f.attname)) for f in model._meta.concrete_fields} for r in gone
    ]  # every field of what is deleted, so nothing is lost
    moved: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for fk in _relations(model):
        n_moved, n_dropped = _move(fk, kept.pk, gone_ids)
        label = f"{fk.model._meta.label}.{fk.name}"
        if n_moved:
            moved[label] = n_moved
        if n_dropped:
            dropped[label] = n_dropped
    if user_moves is not None:
        model._default_manager.filter(pk__in=gone_ids).update(user=None)
        model._default_manager.filter(pk=kept.pk).update(user=user_moves)
    model._default_manager.filter(pk__in=gone_ids).delete()
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    audit = NameMerge.objects.create(
        at=now, kind=kind, kept_id=kept.pk, kept_name=kept.name, merged=merged, moved=moved, dropped=dropped, user=user
    )
    aliases = _keep_aliases(audit, kept, gone)
    if isinstance(kept, Account):  # the account's own history says it too
        Change.objects.create(
            account=kept,
            actor=user,
            at=now,
            field="name",  # the spellings merged, then the one kept
            old=" / ".join([kept.name, *(r.name for r in gone)]),
            new=kept.name,
        )
    return MergeResult(audit, moved, dropped, aliases)


def _keep_aliases(audit: NameMerge, kept: Account | Rep, gone: Sequence[Account | Rep]) -> list[str]:
    """The merged records' external ids (and the aliases they had from earlier merges) now name the record kept.

    A later import that refers to one of them lands on the kept record instead of creating it again.
    The kept record's own external id is never its alias (a record merged back under it stays itself).
    """
    kind = audit.kind
    MergedId.objects.filter(kind=kind, record_id__in=[r.pk for r in gone]).update(record_id=kept.pk, merge=audit)
    ids = {str(r.external_id) for r in gone if r.external_id} - {str(kept.external_id or "")}
    MergedId.objects.filter(kind=kind, external_id=str(kept.external_id or "")).delete()
    stale = set(MergedId.objects.filter(kind=kind, external_id__in=ids).values_list("external_id", flat=True))
    MergedId.objects.filter(kind=kind, external_id__in=stale).update(record_id=kept.pk, merge=audit)
    MergedId.objects.bulk_create(
        [MergedId(kind=kind, external_id=ext, record_id=kept.pk, merge=audit) for ext in sorted(ids - stale)]
    )
    return sorted(MergedId.objects.filter(kind=kind, record_id=kept.pk).values_list("external_id", flat=True))


def duplicates_merge_all(*, actor: AbstractBaseUser | AnonymousUser | None, kind: str) -> list[MergeResult]:
    """Merge every group :func:`duplicates_find` lists into its suggested record, in one transaction."""
    with transaction.atomic():
        return [
            duplicates_merge(actor=actor, kind=kind, keep=g.keep.pk, merge=[r.pk for r in g.records[1:]])
            for g in duplicates_find(kind)
        ]
