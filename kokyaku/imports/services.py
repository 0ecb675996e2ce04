"""Imports: the public services. ``import_run`` imports one file, ``import_recorded`` also writes its line
in the import history, ``mapping_save`` keeps a mapping under a name.

An import reads the file in chunks, checks and resolves each (``plans``), stages the good rows
(``staging``), then writes the target with one upsert (``load``), all in one transaction; refused
rows go to the rejects file (``rejects``). Only id maps (external id / name -> primary key) are
kept in memory (``refs``).
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.imports import load
from kokyaku.imports.context import ImportPass
from kokyaku.imports.errors import ImportFileError, ImportInvalid, Message, Problem, gettext_noop, message_json, shown_value
from kokyaku.imports.i18n import translated
from kokyaku.imports.load import Fallback
from kokyaku.imports.mapping import BUILTIN_NAMES, Mapping, mapping_load, mapping_parse
from kokyaku.imports.models import ImportRun, SavedMapping, rejects_dir
from kokyaku.imports.plans import PLANS
from kokyaku.imports.reader import open_table
from kokyaku.imports.rejects import RejectsFile
from kokyaku.imports.staging import staged
from kokyaku.imports.summary import ImportSummary, Progress
from kokyaku.imports.validate import columns_resolve
from kokyaku.lib import bulk
from kokyaku.users.roles import is_manager

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    Actor = AbstractBaseUser | AnonymousUser | None

__all__ = ["ImportSummary", "import_recorded", "import_run", "mapping_for", "mapping_save"]

SQLITE_CACHE_KB = 128 * 1024  # a bigger page cache for the import's connection: index updates stay in memory


class _Rollback(Exception):
    pass


def import_run(
    *,
    actor: Actor,
    kind: str,
    path: Path | str,
    mapping: Mapping | str | None = None,
    file_name: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: Path | str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = 100_000,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one file of ``kind`` through a mapping; all-or-nothing unless ``skip_invalid``.

    ``actor`` is who imports: a manager (or admin), or None for the command line; anyone else gets
    PermissionDenied. Raises ImportFileError when the file or mapping cannot be used at all,
    ImportInvalid when rows fail validation in all-or-nothing mode. Either way the database is
    left exactly as it was.
    """
    if actor is not None and not is_manager(actor):
        raise PermissionDenied(gettext("Only managers can import data."))
    started = time.perf_counter()
    path = Path(path)
    file = file_name or path.name
    if kind not in PLANS:
        raise ImportFileError.of(
            gettext_noop("unknown kind %(kind)s; one of: %(kinds)s"), kind=repr(kind), kinds=", ".join(PLANS)
        )
    if not isinstance(mapping, Mapping):
        mapping = mapping_for(mapping, kind=kind)
    attempt = functools.partial(
        _attempt,
        kind=kind,
        path=path,
        file=file,
        mapping=mapping,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejects_path=Path(rejects_path) if rejects_path else None,
        encoding=encoding,
        delimiter=delimiter,
        chunk_rows=chunk_rows,
        progress=progress,
        started=started,
    )
    fell_back: tuple[str, float] | None = None
    try:
        summary = attempt(direct=True)
    except Fallback as fallback:
        fell_back = (str(fallback), fallback.seconds)  # not the exception: its traceback holds the first pass's chunks
    if fell_back is not None:
        # the file holds something only the staging table can explain row by row (a duplicate
        # id): everything the first pass did was rolled back; read the file again through staging
        summary = attempt(direct=False)
        summary.timings[f"first pass, rolled back ({fell_back[0]})"] = round(fell_back[1], 3)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


HISTORY_PROBLEMS = 20  # problems kept with a refused or partly rejected run in the import history
SAVED_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


def mapping_for(name_or_path: str | None, *, kind: str) -> Mapping:
    """A built-in mapping by name, else one a manager saved under that name for ``kind``, else a TOML file by path."""
    name = name_or_path or "generic"
    if name not in BUILTIN_NAMES and SAVED_NAME.match(name):
        saved = SavedMapping.objects.filter(kind=kind, name=name).only("text").first()
        if saved is not None:
            return mapping_parse(saved.text, name=name, kind=kind)
    return mapping_load(name, kind=kind)


@transaction.atomic
def mapping_save(*, actor: AbstractBaseUser | AnonymousUser, kind: str, name: str, text: str) -> SavedMapping:
    """Save (or replace) a mapping under ``name`` for ``kind``; managers only.

    The name is a lowercase slug (letters, digits, - and _), so that it also works as ``--mapping
    NAME`` and ``mapping=NAME``; it cannot be a built-in's. The text must be a valid mapping for
    ``kind``. Raises ValidationError (translated) with nothing saved otherwise.
    """
    if not is_manager(actor):
        raise PermissionDenied(gettext("Only managers can import data."))
    name = name.strip()
    if not SAVED_NAME.match(name):
        raise ValidationError(
            gettext("A mapping name is 1 to 60 lowercase letters, digits, - or _, starting with a letter; not %(name)s.")
            % {"name": repr(name)}
        )
    if name in BUILTIN_NAMES:
        raise ValidationError(gettext("%(name)s is a built-in mapping's name; choose another.") % {"name": repr(name)})
    try:
        mapping_parse(text, name=name, kind=kind)
    except ImportFileError as exc:
        raise ValidationError(translated(exc)) from None
    saved, _created = SavedMapping.objects.update_or_create(
        kind=kind, name=name, defaults={"text": text, "updated_by": actor if isinstance(actor, User) else None}
    )
    return saved


def import_recorded(*, source: str, actor: Actor, **options: Any) -> ImportSummary:
    """:func:`import_run`, and a line in the import history (:class:`ImportRun`) whatever the outcome.

    ``source`` is web, api or cli; ``actor`` who asked (None from the command line). A dry run is
    not recorded: it changes nothing. The line is written after the import's own transaction, so a
    refused import leaves only its history line behind.
    """
    if options.get("dry_run"):
        return import_run(actor=actor, **options)
    kept: Path | None = None
    if options.get("skip_invalid") and not options.get("rejects_path"):  # kept for download from the history
        rejects_dir().mkdir(parents=True, exist_ok=True)
        _prune_rejects()
        kept = options["rejects_path"] = rejects_dir() / f"{uuid.uuid4().hex}.csv"
    started = timezone.now()
    clock = time.perf_counter()
    kind = str(options["kind"])
    mapping = options.get("mapping")
    run = ImportRun(
        started_at=started,
        kind=kind,
        file_name=str(options.get("file_name") or Path(options["path"]).name)[:255],  # the history's column widths
        mapping=(mapping.name if isinstance(mapping, Mapping) else str(mapping or "generic"))[:255],
        source=source,
        user=actor if isinstance(actor, User) and actor.pk else None,
    )
    failure: Exception | None = None
    try:
        summary = import_run(actor=actor, **options)
    except ImportInvalid as exc:
        run.outcome, run.problem_count = ImportRun.Outcome.REFUSED, exc.problem_count
        run.details = {"problems": [_problem_json(p) for p in exc.problems[:HISTORY_PROBLEMS]]}
        failure = exc
        raise
    except ImportFileError as exc:
        run.outcome, run.details = ImportRun.Outcome.UNUSABLE, {"error": message_json(exc.message)}
        failure = exc
        raise
    except Exception as exc:  # a failure nobody foresaw still leaves its line (cut: a value may be megabytes)
        run.outcome = ImportRun.Outcome.UNUSABLE
        run.details = {"error": shown_value(f"{type(exc).__name__}: {exc}")}
        raise
    else:
        run.outcome = ImportRun.Outcome.IMPORTED
        for counted in ("rows", "created", "updated", "unchanged", "rejected", "skipped", "problem_count"):
            setattr(run, counted, getattr(summary, counted))
        run.mapping = summary.mapping[:255]
        run.details = {
            "problems": [_problem_json(p) for p in summary.problems[:HISTORY_PROBLEMS]],
            "notes": [message_json(n) for n in summary.notes],
        }
        if kept is not None and (summary.rejected or summary.skipped):
            run.rejects_file, kept = kept.name, None
        return summary
    finally:
        if kept is not None:
            kept.unlink(missing_ok=True)
        run.seconds = round(time.perf_counter() - clock, 3)
        if run.outcome:
            run.save()
            if run.outcome == ImportRun.Outcome.IMPORTED:
                summary.history_id = run.pk
            elif failure is not None:  # the job layer links a refused import to its history line
                failure.history_id = run.pk  # type: ignore[attr-defined]


def _prune_rejects() -> None:
    """Delete the kept rejects files older than KOKYAKU_REJECTS_KEEP_DAYS (their history lines stay, without the link)."""
    cutoff = time.time() - int(settings.REJECTS_KEEP_DAYS) * 86_400
    for path in rejects_dir().glob("*.csv"):
        with contextlib.suppress(OSError):  # another import may be pruning too
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _problem_json(problem: Problem) -> dict[str, object]:
    return {**asdict(problem), "reason": message_json(problem.reason)}


REREAD_ROWS = 10_000  # rows per chunk when the file is read again for the rejects file


def _attempt(
    *,
    kind: str,
    path: Path,
    file: str,
    mapping: Mapping,
    dry_run: bool,
    skip_invalid: bool,
    rejects_path: Path | None,
    encoding: str | None,
    delimiter: str | None,
    chunk_rows: int,
    progress: Progress | None,
    started: float,
    direct: bool,
) -> ImportSummary:
    """One pass over the file in one transaction; ``direct`` allows writing straight into an empty target."""
    begun = time.perf_counter()
    opener = functools.partial(
        open_table,
        path,
        name=file,
        encoding=encoding or mapping.encoding,
        delimiter=delimiter or mapping.delimiter,
        sheet=mapping.sheet,
        header_row=mapping.header_row,
        chunk_rows=chunk_rows,
        max_unpacked=int(settings.IMPORT_MAX_UNPACKED_MB) << 20,
    )
    table = opener()
    summary = ImportSummary(kind=kind, file=file, mapping=mapping.name, dry_run=dry_run)
    rejects = RejectsFile(rejects_path, table.header)
    tz = mapping.timezone or str(settings.TIME_ZONE)
    try:
        with table:
            columns = columns_resolve(table.header, mapping, file=file)
            if columns.absent:
                summary.notes.append(
                    Message(gettext_noop("not in the file, left as they are: %(columns)s"), columns=", ".join(columns.absent))
                )
            summary.notes.extend(columns.notes)  # money read in the unit its column's header states (金額（千円）)
            currency = str(mapping.constants.get("currency") or "").strip().upper()
            if currency and currency != company_settings().currency and currency not in conversion_rates():
                summary.notes.append(
                    Message(
                        gettext_noop(
                            "every row is in %(currency)s, not the company currency %(company)s, and it has no conversion "
                            "rate: revenue figures leave these rows out, and pages and exports show amounts as "
                            "%(company)s; if the company works in %(currency)s, set it (kokyaku company --currency "
                            "%(currency)s, or Company settings), else set a rate (kokyaku company --rate %(currency)s=...)"
                        ),
                        currency=currency,
                        company=company_settings().currency,
                    )
                )
            if mapping.skip_when_empty:
                summary.skipped_reason = Message(gettext_noop("%(fields)s empty"), fields=" or ".join(mapping.skip_when_empty))
            try:
                with _sqlite_cache(), staged(load.stage_tables(PLANS[mapping.kind])), transaction.atomic():
                    plan = PLANS[mapping.kind](mapping, columns, summary, file=file)
                    # the file read again for the rows SQL refuses (a duplicate id) goes in small chunks: it runs
                    # beside the duplicate query's cursor and SQLite's full page caches (docs/benchmarks.md)
                    reopen = functools.partial(opener, chunk_rows=min(chunk_rows, REREAD_ROWS))
                    run = ImportPass(table, mapping, columns, plan, summary, rejects, tz, skip_invalid, progress, started, reopen)
                    load.run(run, direct=direct)
                    if run.refused:
                        raise ImportInvalid(summary.problems, summary.problem_count)
                    if dry_run:
                        raise _Rollback
                    ending = time.perf_counter()
                summary.lap("commit", ending)
            except _Rollback:
                pass
            except Fallback as fallback:
                fallback.seconds = time.perf_counter() - begun
                raise
    finally:
        rejects.close()
    return summary


def _sqlite_cache() -> contextlib.AbstractContextManager[None]:
    """On SQLite, a 128 MB page cache for the import, for the main database and for the temp one that
    holds the staging table (SQLite's default 2 MB sent 1M staged rows through a temp file: 18.6 ->
    18.0 CPU s); the connection's own settings come back afterwards (it may serve web requests next)."""
    return bulk.sqlite_cache(SQLITE_CACHE_KB)
