"""The import as a background job (kokyaku/jobs): the web's Import buttons, ``kokyaku import --background``.

``import_recorded`` writes the rows in one transaction, then its history line: a job killed mid-way
leaves the database as it was (no row, no history line) and retrying it is safe. A web import names
its upload: the mapping as edited on the review page travels as TOML text, and the upload is removed
once the rows are in (kept after a failure, so the retry reads it again).
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kokyaku.imports.errors import ImportFileError, ImportInvalid, message_json
from kokyaku.imports.i18n import translated
from kokyaku.imports.mapping import Mapping, mapping_parse
from kokyaku.imports.services import import_recorded
from kokyaku.imports.uploads import upload_delete, upload_get
from kokyaku.jobs.registry import Actor, Kind, Report, register

PROBLEMS_IN_REASON = 5
SUMMARY_FIELDS = (
    "rows", "created", "updated", "unchanged", "rejected", "skipped", "problem_count",
    "accounts_created", "reps_created", "teams_created", "invoices", "credit_notes", "credit_total", "seconds",
)  # fmt: skip


class ImportJobFailed(Exception):
    """The import refused the file (or a row) and wrote nothing: the reason, in the starter's language,
    and its line in the import history (the page lists the problems from it)."""

    def __init__(self, reason: str, cause: Exception) -> None:
        super().__init__(reason)
        self.job_result = {"history": getattr(cause, "history_id", None)}

    @property
    def messages(self) -> list[str]:
        return [str(self.args[0])]


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


def run_import(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(1, "reading")

    def progress(done: int, total: int) -> None:
        report(min(95, int(95 * done / total)) if total else 50, "rows")

    source = str(params["source"]) if params.get("source") in ("web", "api") else "cli"
    with translation.override(params.get("language") or translation.get_language()):
        try:
            summary = import_recorded(  # with its line in the import history, whatever the outcome
                source=source,
                actor=actor,
                kind=params["kind"],
                path=params["path"],
                mapping=_mapping(params),
                file_name=params.get("file_name"),
                skip_invalid=bool(params.get("skip_invalid")),
                progress=progress,
            )
        except ImportInvalid as exc:
            raise ImportJobFailed(_refused(exc), exc) from exc
        except ImportFileError as exc:
            raise ImportJobFailed(translated(exc), exc) from exc
    if params.get("upload") and actor is not None:  # the rows are in: the uploaded file is not needed any more
        upload = upload_get(actor=actor, upload_id=str(params["upload"]))
        if upload is not None:
            upload_delete(actor=actor, upload=upload)
    return {
        "history": summary.history_id,
        "kind": summary.kind,
        "file": summary.file,
        "mapping": summary.mapping,
        "skipped_reason": message_json(summary.skipped_reason) if summary.skipped_reason else "",
        "notes": [message_json(note) for note in summary.notes],
        **{name: getattr(summary, name) for name in SUMMARY_FIELDS},
    }


register(
    Kind(
        name="import",
        label=_("Import"),
        right="job_enqueue",
        run=run_import,
        steps={"reading": _("reading the file"), "rows": _("importing rows")},
    )
)
