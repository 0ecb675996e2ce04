"""The import API: POST /api/imports/{kind} (the CLI's import, for nightly syncs) and GET /api/imports (the history)."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError

from kokyaku.imports.errors import ImportFileError, ImportInvalid, Problem
from kokyaku.imports.i18n import translated
from kokyaku.imports.mapping import Mapping, builtin_mappings, mapping_parse
from kokyaku.imports.models import ImportRun
from kokyaku.imports.selectors import import_runs_recent, run_rejects, saved_mapping_names
from kokyaku.imports.services import import_recorded, mapping_for
from kokyaku.lib.api import READ_ERRORS, ErrorOut, InvalidField
from kokyaku.users.roles import is_manager

Kind = Literal["accounts", "reps", "deals", "activities", "purchases", "contacts"]
router = Router()


class ProblemOut(Schema):
    file: str
    row: int
    column: str
    value: str
    reason: str


class ImportSummaryOut(Schema):
    kind: str
    file: str
    mapping: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    skipped: int
    skipped_reason: str
    accounts_created: int
    reps_created: int
    teams_created: int
    invoices: int
    credit_notes: int
    credit_total: float
    problem_count: int
    problems: list[ProblemOut]
    notes: list[str]
    seconds: float
    timings: dict[str, float]  # seconds per phase (read and check, duplicates, write, index rebuild, commit)
    history_id: int | None = Field(
        None,
        description="This import's line in GET /api/imports; rows set aside (skip_invalid) at /api/imports/{id}/rejects.",
    )


class ImportRefusedOut(Schema):
    detail: str
    problem_count: int = 0
    problems: list[ProblemOut] = []


class ImportInvalidOut(Schema):
    """422: rows failed validation (``detail`` a sentence, with the problems), or a form field was invalid (ninja's list)."""

    detail: str | list[InvalidField]
    problem_count: int = 0
    problems: list[ProblemOut] = []


@router.post(
    "/imports/{kind}",
    response={
        200: ImportSummaryOut,
        400: ImportRefusedOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ImportRefusedOut,
        422: ImportInvalidOut,
    },
    tags=["imports"],
)
def import_file(
    request: HttpRequest,
    kind: Kind,
    file: File[UploadedFile],
    mapping: Form[str] = "generic",
    mapping_file: File[UploadedFile | None] = None,
    dry_run: Form[bool] = False,
    skip_invalid: Form[bool] = False,
) -> Status[object]:
    """Import one CSV / XLSX file (plain or gzipped); all-or-nothing unless skip_invalid.

    `mapping` names a built-in mapping (generic, salesforce, hubspot); or send your own TOML as
    `mapping_file`. 422 lists the rows that failed validation (nothing was written); 400 means
    the file or mapping could not be used at all. With skip_invalid the refused rows are in
    `problems` of the summary (at most 1,000 of them; `problem_count` has the total).
    Messages are in English unless the request's `Accept-Language` asks for Japanese (`ja`).
    """
    if not is_manager(request.user):
        raise HttpError(403, _("Only managers can import data."))
    limit = int(settings.UPLOAD_MAX_MB)
    if file.size is not None and file.size > limit * 1024 * 1024:
        detail = _("%(file)s: larger than the upload limit of %(limit)s MB (KOKYAKU_UPLOAD_MAX_MB)")
        return Status(413, {"detail": detail % {"file": file.name, "limit": limit}})
    try:
        chosen: Mapping
        if mapping_file is not None:
            text = mapping_file.read().decode("utf-8-sig")
            chosen = mapping_parse(text, name=mapping_file.name or "mapping.toml", kind=kind)
        elif mapping in builtin_mappings(kind) or mapping in saved_mapping_names(kind=kind):
            chosen = mapping_for(mapping, kind=kind)
        else:  # never a server path: only built-in and saved names over the API
            known = ", ".join([*builtin_mappings(kind), *saved_mapping_names(kind=kind)])
            detail = _("no built-in or saved mapping %(mapping)s for %(kind)s; there are: %(known)s, or send mapping_file")
            return Status(400, {"detail": detail % {"mapping": repr(mapping), "kind": kind, "known": known}})
        with tempfile.TemporaryDirectory(prefix="kk-import-") as folder:
            path = Path(folder) / "upload"
            with path.open("wb") as out:
                for chunk in file.chunks():
                    out.write(chunk)
            summary = import_recorded(
                source="api",
                actor=request.user,
                kind=kind,
                path=path,
                mapping=chosen,
                file_name=Path(file.name or "upload").name,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
            )
    except ImportFileError as exc:
        return Status(400, {"detail": _("%(error)s; nothing was written") % {"error": translated(exc)}})
    except ImportInvalid as exc:
        problems = _problems(exc.problems)
        return Status(422, {"detail": _detail(exc), "problem_count": exc.problem_count, "problems": problems})
    except UnicodeDecodeError:
        return Status(400, {"detail": _("mapping_file is not UTF-8 text; nothing was written")})
    answer = summary.as_dict()
    answer["problems"] = _problems(summary.problems)
    answer["skipped_reason"] = translated(summary.skipped_reason)
    answer["notes"] = [translated(n) for n in summary.notes]
    return Status(200, answer)


def _problems(problems: list[Problem]) -> list[dict[str, object]]:
    """The problems as JSON, each reason in the request's language (English by default)."""
    return [{**p.__dict__, "reason": translated(p.reason)} for p in problems]


def _detail(exc: ImportInvalid) -> str:
    """The 422's detail: the English sentence (the API's skip_invalid=true, not the CLI's option), or its translation.

    The translation is used when the request asks for another language.
    """
    if (translation.get_language() or "en").startswith("en") or not exc.problems:
        return exc.sentence("send skip_invalid=true")  # an API caller has no --skip-invalid
    first = exc.problems[0]
    return _(
        "%(count)s problem(s) found, nothing was written; first: %(file)s: row %(row)s, column %(column)s, value %(value)s: "
        "%(reason)s. Fix the file or the mapping, or send skip_invalid=true to import the good rows."
    ) % {
        "count": f"{exc.problem_count:,}",
        "file": first.file,
        "row": first.row,
        "column": f"'{first.column}'",
        "value": f"'{first.value}'",
        "reason": translated(first.reason),
    }


class ImportRunOut(Schema):
    id: int
    started_at: datetime
    seconds: float
    kind: str
    file: str
    mapping: str
    source: Literal["web", "api", "cli", "schedule"] = Field(
        description="web (the import page), api, cli (kokyaku import), schedule (the scheduled import of KOKYAKU_IMPORT_SOURCE)."
    )
    user: str | None = Field(None, description="Who ran it; null from the command line.")
    outcome: Literal["imported", "refused", "unusable"] = Field(
        description="imported; refused: rows had problems, nothing was written; unusable: the file or mapping could not be read."
    )
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    skipped: int
    problem_count: int
    error: str = Field("", description="Why the file or mapping could not be used (outcome unusable).")
    problems: list[ProblemOut] = Field([], description="The first problems (at most 20), in the request's language.")
    rejects_url: str | None = Field(None, description="The rows set aside (skip_invalid), as CSV with the reasons.")
    notes: list[str] = Field([], description="What the import noted (e.g. open deals' dates stored as expected close dates).")


class ImportHistoryQuery(Schema):
    limit: int = Field(20, ge=1, le=100, description="How many runs, newest first.")
    kind: Kind | None = Field(None, description="Only imports of this kind.")


@router.get("/imports", response={200: list[ImportRunOut], **READ_ERRORS}, tags=["imports"], summary="The import history")
def import_history(request: HttpRequest, query: Query[ImportHistoryQuery]) -> list[dict[str, object]]:
    """The latest imports, newest first: from the web, the API and the command line, imported or refused.

    A nightly sync can check that last night's run happened and what it changed. Dry runs are not
    recorded. Managers only.
    """
    if not is_manager(request.user):
        raise HttpError(403, _("Only managers can import data."))
    return [run_as_json(run) for run in import_runs_recent(limit=query.limit, kind=query.kind)]


def run_as_json(run: ImportRun) -> dict[str, object]:
    """One history line as GET /api/imports answers it (also `kokyaku imports --json`)."""
    return {
        "id": run.pk, "started_at": run.started_at, "seconds": run.seconds, "kind": run.kind, "file": run.file_name,
        "mapping": run.mapping, "source": run.source, "user": run.user.get_username() if run.user else None,
        "outcome": run.outcome, "rows": run.rows, "created": run.created, "updated": run.updated,
        "unchanged": run.unchanged, "rejected": run.rejected, "skipped": run.skipped,
        "problem_count": run.problem_count, "error": translated(run.error), "problems": _problems(run.problems),
        "rejects_url": f"/api/imports/{run.pk}/rejects" if run.rejects_path else None,
        "notes": [translated(n) for n in run.notes],
    }  # fmt: skip


@router.get(
    "/imports/{run_id}/rejects",
    response={200: None, **READ_ERRORS, 404: ErrorOut},
    tags=["imports"],
    summary="Rows set aside",
    openapi_extra={
        "responses": {200: {"description": "The rows as CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}
    },
)
def import_rejects(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """The rows an import with skip_invalid set aside, as CSV: the file's columns, then row, column and reason."""
    if not is_manager(request.user):
        raise HttpError(403, _("Only managers can import data."))
    found = run_rejects(run_id)
    if found is None:
        raise HttpError(404, _("This import kept no rejected rows."))
    path, name = found
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type="text/csv")
