"""The import as a background job (kokyaku/jobs): the web's Import buttons, ``kokyaku import --background``.

``import_recorded`` writes the rows in one transaction, then its history line: a job killed mid-way
leaves the database as it was (no row, no history line) and retrying it is safe. A web import names
its upload: the mapping as edited on the review page travels as TOML text, and the upload is removed
once the rows are in (kept after a failure, so the retry reads it again).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kokyaku.imports.errors import ImportFileError, ImportInvalid, Problem, message_json
from kokyaku.imports.i18n import translated
from kokyaku.imports.mapping import Mapping, mapping_parse
from kokyaku.imports.models import SourceFile
from kokyaku.imports.services import ImportSummary, import_recorded, import_run
from kokyaku.imports.sources import describe_counts, source_import, staged_remove
from kokyaku.imports.uploads import upload_delete, upload_get
from kokyaku.jobs.registry import Actor, JobFailed, Kind, Outcome, Report, register

PROBLEMS_IN_REASON = 5
SUMMARY_FIELDS = (
    "rows", "created", "updated", "unchanged", "rejected", "skipped", "problem_count",
    "accounts_created", "reps_created", "teams_created", "invoices", "credit_notes", "credit_total", "seconds",
)  # fmt: skip


class ImportJobFailed(JobFailed):
    """The import refused the file (or a row) and wrote nothing: the reason, in the starter's language,
    and its line in the import history (the page lists the problems from it)."""

    def __init__(self, reason: str, cause: Exception) -> None:
        super().__init__(reason, {"history": getattr(cause, "history_id", None)})


def _mapping(params: dict[str, Any]) -> Mapping | str | None:
    if params.get("mapping_text") is not None:  # the web: the mapping as edited on the review page
        name = gettext("%(name)s (edited)") % {"name": params.get("mapping_name") or "generic"}
        return mapping_parse(str(params["mapping_text"]), name=name, kind=str(params["kind"]))
    return params.get("mapping")


def _refused(exc: ImportInvalid) -> str:
    head = ngettext(
        "%(count)s problem found, nothing was written.",
        "%(count)s problems found, nothing was written.",
        exc.problem_count,
    ) % {"count": f"{exc.problem_count:,}"}
    lines = []
    for problem in exc.problems[:PROBLEMS_IN_REASON]:  # as the command line says them (Problem.__str__), translated
        where = gettext("%(file)s: row %(row)s") % {"file": problem.file, "row": problem.row}
        if problem.column:
            where += gettext(", column %(column)s") % {"column": repr(problem.column)}
        if problem.value != "":
            where += gettext(", value %(value)s") % {"value": repr(problem.value)}
        lines.append(f"{where}: {translated(problem.reason)}")
    more = gettext("Fix the file or the mapping, then import again; or import the good rows and set the others aside.")
    return " ".join([head, *(f"{line};" for line in lines), more])


def _summary_json(summary: ImportSummary) -> dict[str, Any]:
    return {
        "history": summary.history_id,
        "kind": summary.kind,
        "file": summary.file,
        "mapping": summary.mapping,
        "skipped_reason": message_json(summary.skipped_reason) if summary.skipped_reason else "",
        "notes": [message_json(note) for note in summary.notes],
        **{name: getattr(summary, name) for name in SUMMARY_FIELDS},
    }


def _remembered(remember: dict[str, Any], **options: Any) -> ImportSummary:
    """A file of the scheduled import (imports/sources.py): its rows, its history line and the line that
    remembers the file (name, size, hash) in one transaction, so a file is never imported twice nor
    remembered without its rows. A refused file is remembered after its history line (not retried
    every night until it changes)."""
    key = {"name": remember["name"], "size": remember["size"], "sha256": remember["sha256"]}
    refused: ImportInvalid | ImportFileError | None = None
    with transaction.atomic():  # the import's own transaction becomes a savepoint of this one
        try:
            summary = import_recorded(**options)
        except (ImportInvalid, ImportFileError) as exc:
            refused = exc  # rolled back to the savepoint; its history line was written after it, kept
        else:
            SourceFile.objects.update_or_create(
                **key,
                defaults={"source": remember["source"], "outcome": SourceFile.Outcome.IMPORTED, "run_id": summary.history_id},
            )
            return summary
    SourceFile.objects.update_or_create(
        **key,
        defaults={
            "source": remember["source"],
            "outcome": SourceFile.Outcome.FAILED,
            "run_id": getattr(refused, "history_id", None),
        },
    )
    assert refused is not None
    raise refused


def run_import(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(1, "reading")

    def progress(done: int, total: int) -> None:
        report(min(95, int(95 * done / total)) if total else 50, "rows")

    source = str(params["source"]) if params.get("source") in ("web", "api", "schedule") else "cli"
    with translation.override(params.get("language") or translation.get_language()):
        options: dict[str, Any] = {
            "source": source,
            "actor": actor,
            "kind": params["kind"],
            "path": params["path"],
            "mapping": _mapping(params),
            "file_name": params.get("file_name"),
            "skip_invalid": bool(params.get("skip_invalid")),
            "progress": progress,
        }
        try:  # with its line in the import history, whatever the outcome
            summary = _remembered(params["remember"], **options) if params.get("remember") else import_recorded(**options)
        except ImportInvalid as exc:
            raise ImportJobFailed(_refused(exc), exc) from exc
        except ImportFileError as exc:
            raise ImportJobFailed(translated(exc), exc) from exc
    if params.get("upload") and actor is not None:  # the rows are in: the uploaded file is not needed any more
        upload = upload_get(actor=actor, upload_id=str(params["upload"]))
        if upload is not None:
            upload_delete(actor=actor, upload=upload)
    if params.get("staged"):  # the scheduled import's copy of the file: the folder keeps the original
        staged_remove(Path(str(params["path"])))
    return _summary_json(summary)


CHECK_PROBLEMS_KEPT = 200  # what the review page lists (imports/_problems.html)


class ImportCheckFailed(JobFailed):
    """Validation found problems (or the file or mapping cannot be used): the reason, and what the review page shows."""


def problem_json(problem: Problem) -> dict[str, Any]:
    return {**asdict(problem), "reason": message_json(problem.reason)}


def check_problems_count_text(count: int) -> str:
    return ngettext(
        "%(count)s problem found. Fix the file or the mapping, then validate again.",
        "%(count)s problems found. Fix the file or the mapping, then validate again.",
        count,
    ) % {"count": f"{count:,}"}


def run_check(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Validate all rows of an upload (the review page's *Validate all rows*): a dry run, which writes nothing.

    Done: what the import would do (the counts). Failed: the problems (the first 200, and their
    count) or why the file or mapping cannot be used; the review page shows either when it ends.
    """
    report(1, "reading")

    def progress(done: int, total: int) -> None:
        report(min(99, int(99 * done / total)) if total else 50, "checking")

    with translation.override(params.get("language") or translation.get_language()):
        try:
            summary = import_run(
                actor=actor,
                kind=params["kind"],
                path=params["path"],
                mapping=_mapping(params),
                file_name=params.get("file_name"),
                dry_run=True,
                progress=progress,
            )
        except ImportInvalid as exc:
            problems = [problem_json(p) for p in exc.problems[:CHECK_PROBLEMS_KEPT]]
            result = {"problem_count": exc.problem_count, "problems": problems}
            raise ImportCheckFailed(check_problems_count_text(exc.problem_count), result) from exc
        except ImportFileError as exc:
            raise ImportCheckFailed(translated(exc), {"error": message_json(exc.message)}) from exc
    return _summary_json(summary)


register(
    Kind(
        name="import",
        label=_("Import"),
        right="job_enqueue",
        run=run_import,
        steps={"reading": _("reading the file"), "rows": _("importing rows")},
    )
)


def _describe_check(job_id: int, result: dict[str, Any]) -> Outcome:
    text = ngettext(
        "%(rows)s row checked: the import would write it; nothing was written.",
        "%(rows)s rows checked: the import would write them; nothing was written.",
        int(result.get("rows", 0)),
    ) % {"rows": f"{int(result.get('rows', 0)):,}"}
    return Outcome(text=text, url=reverse("imports:job", args=[job_id]), link=gettext("See the result"))


register(
    Kind(
        name="import_check",
        label=_("Import validation"),
        right="job_enqueue",
        run=run_check,
        steps={"reading": _("reading the file"), "checking": _("checking rows")},
        describe=_describe_check,
    )
)


def _describe_source(job_id: int, result: dict[str, Any]) -> Outcome:
    return Outcome(text=describe_counts(result), url=reverse("imports:start"), link=gettext("Open the import history"))


register(
    Kind(
        name="import_source",
        label=_("Scheduled import"),
        right="job_enqueue",
        run=source_import,
        steps={"fetching": _("reading the source"), "importing": _("importing the new files")},
        cancellable=False,  # each file is its own import job (cancellable); files already imported stay
        describe=_describe_source,
    )
)
