"""Import pages (managers only): upload, review the mapping and the first rows, validate, confirm.

One view per action on an upload (review, preview, save the mapping, validate, import, import the
good rows); each posts the review form, whose TOML and column picks apply first. Validating and
importing are background jobs (``imports/job_kinds.py``): the page answers at once with the job's
progress bar, which ends on what the import did, or, for a validation (a dry run, kind
``import_check``), back on the review page with the counts or the problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from kokyaku.imports.errors import ImportFileError, Problem, message_from_json
from kokyaku.imports.forms import KIND_LABELS, UploadForm
from kokyaku.imports.i18n import field_label, mapping_label, translated
from kokyaku.imports.job_kinds import SUMMARY_FIELDS, check_problems_count_text
from kokyaku.imports.mapping import (
    BUILTIN_NAMES,
    Mapping,
    builtin_mapping_text,
    mapping_parse,
    mapping_set_columns,
    mapping_set_scale,
)
from kokyaku.imports.preview import (
    KEEP,
    SCALES,
    PickerRow,
    Preview,
    column_picker,
    header_sample,
    picker_changes,
    picker_scales,
    preview_rows,
)
from kokyaku.imports.selectors import import_run_get, import_runs_recent, run_rejects
from kokyaku.imports.services import ImportSummary, mapping_save
from kokyaku.imports.uploads import Upload, upload_get, upload_set_mapping, upload_store
from kokyaku.jobs.selectors import JobRecord, job_get
from kokyaku.jobs.services import JobBusy, job_enqueue
from kokyaku.users.roles import is_manager

PREVIEW_ROWS = 20


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers can import data."))


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind, name = form.cleaned_data["kind"], form.cleaned_data["mapping"]
        saved = form.saved.get(name)
        if saved is not None:
            name, text = saved.name, saved.text
        else:
            text = builtin_mapping_text(name, kind=kind)
        upload = upload_store(actor=request.user, file=form.cleaned_data["file"], kind=kind, mapping_name=name, mapping_text=text)
        return redirect("imports:review", upload_id=upload.id)
    context = {"form": form, "max_mb": settings.UPLOAD_MAX_MB, "runs": import_runs_recent()}
    return render(request, "imports/start.html", context, status=400 if form.errors else 200)


def _upload(request: HttpRequest, upload_id: str) -> Upload:
    upload = upload_get(actor=request.user, upload_id=upload_id)
    if upload is None:
        raise Http404(_("This upload does not exist any more."))
    return upload


def _picked(request: HttpRequest, upload_id: str) -> Upload:
    """The upload, with the TOML as posted and the column picker's changes written into its [columns]."""
    upload = _upload(request, upload_id)
    if "mapping_text" in request.POST:  # the rest of the TOML stays as typed
        form = request.POST.dict()
        text = mapping_set_columns(request.POST["mapping_text"], picker_changes(form, upload.kind))
        text = mapping_set_scale(text, picker_scales(form, upload.kind))
        upload_set_mapping(actor=request.user, upload=upload, mapping_text=text)
    return upload


@login_required
@require_http_methods(["GET"])
def review(request: HttpRequest, upload_id: str) -> HttpResponse:
    """The review page: the mapping with its column picker, and the first rows as mapped; with ``?check=JOB``,
    what that validation found (the counts, or the problems)."""
    page = _Review.of(_upload(request, upload_id))
    check = request.GET.get("check", "")
    if check.isdigit():
        page.show_check(job_get(int(check)))
    return page.render(request)


@login_required
@require_http_methods(["POST"])
def preview(request: HttpRequest, upload_id: str) -> HttpResponse:
    """The review page again, with the mapping as edited."""
    return _Review.of(_picked(request, upload_id)).render(request)


@login_required
@require_http_methods(["POST"])
def save_mapping(request: HttpRequest, upload_id: str) -> HttpResponse:
    """Save the mapping as edited under a name, for the next upload, the API and the command line."""
    upload = _picked(request, upload_id)
    name = request.POST.get("save_as", "")
    try:
        mapping_save(actor=request.user, kind=upload.kind, name=name, text=upload.mapping_text)
    except ValidationError as exc:
        return _Review.of(upload, error=" ".join(exc.messages)).render(request)
    upload_set_mapping(actor=request.user, upload=upload, mapping_text=upload.mapping_text, mapping_name=name.strip())
    messages.success(
        request,
        _("Mapping saved as %(name)s: pick it on the upload page next time, or use it by name (--mapping, mapping=).")
        % {"name": name.strip()},
    )
    return _Review.of(upload).render(request)


@login_required
@require_http_methods(["POST"])
def validate(request: HttpRequest, upload_id: str) -> HttpResponse:
    """Check every row and count what an import would do, as a job (a large file takes as long as its
    import); write nothing. Its progress page comes back to the review page with the result."""
    return _import(request, upload_id, dry_run=True, skip_invalid=False)


@login_required
@require_http_methods(["POST"])
def import_all(request: HttpRequest, upload_id: str) -> HttpResponse:
    """Import every row, or none if any has a problem."""
    return _import(request, upload_id, dry_run=False, skip_invalid=False)


@login_required
@require_http_methods(["POST"])
def import_valid(request: HttpRequest, upload_id: str) -> HttpResponse:
    """Import the rows without problems; the others go to a CSV kept with the history line."""
    return _import(request, upload_id, dry_run=False, skip_invalid=True)


def _import(request: HttpRequest, upload_id: str, *, dry_run: bool, skip_invalid: bool) -> HttpResponse:
    upload = _picked(request, upload_id)
    page = _Review.of(upload)
    if page.mapping is None or page.preview is None:  # the page says why the file or mapping cannot be used
        return page.render(request)
    # a background job either way: answer at once with its progress bar
    return _enqueue(request, upload, skip_invalid=skip_invalid, kind="import_check" if dry_run else "import")


def _enqueue(request: HttpRequest, upload: Upload, *, skip_invalid: bool, kind: str = "import") -> HttpResponse:
    """Queue the import (or the validation) of an upload and go to its progress page."""
    params = {
        "source": "web",
        "kind": upload.kind,
        "path": str(upload.path),
        "file_name": upload.name,
        "mapping_text": upload.mapping_text,
        "mapping_name": upload.mapping_name,
        "skip_invalid": skip_invalid,
        "upload": upload.id,
        "language": get_language(),
    }
    try:
        job = job_enqueue(actor=request.user, kind=kind, params=params)
    except JobBusy as exc:
        messages.error(request, exc.message)
        return redirect("imports:job", job_id=exc.running.pk)
    return redirect("imports:job", job_id=job.pk)


@login_required
@require_http_methods(["GET"])
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    """An import job: its progress bar (HTMX re-reads this page's fragment every second), then what it did."""
    _require_manager(request)
    record = job_get(job_id)
    if record is None or record.kind not in ("import", "import_check"):
        raise Http404(_("This import job does not exist."))
    context: dict[str, Any] = {"job": record, "kind_label": KIND_LABELS.get(str(record.params.get("kind", "")), "")}
    upload = upload_get(actor=request.user, upload_id=str(record.params.get("upload", "")))
    if record.kind == "import_check":
        context["check"] = True
        if not record.active and upload is not None and record.state != "cancelled":
            # the validation has ended: its result is shown where the mapping and the preview are
            url = reverse("imports:review", args=[upload.id]) + f"?check={record.id}"
            return HttpResponseClientRedirect(url) if request.headers.get("HX-Request") else redirect(url)
        context["upload"] = upload
        if record.state == "done":
            context["summary"] = _job_summary(record.result)
        else:
            context["problems"] = _check_problems(record)
    elif record.state == "done":
        context.update(summary=_job_summary(record.result), run=import_run_get(record.result.get("history")))
    elif not record.active:  # failed or cancelled: nothing was written; the upload is kept for another try
        run = import_run_get(record.result.get("history"))
        context["problems"] = run.problems if run is not None else []
        context["upload"] = upload
    template = "imports/_job.html" if request.headers.get("HX-Request") else "imports/job.html"
    return render(request, template, context)


def _check_problems(record: JobRecord) -> list[Problem]:
    """The problems a validation job found (its first 200), their reasons translatable again."""
    problems = record.result.get("problems", []) if record.state == "failed" else []
    return [Problem(**{**p, "reason": message_from_json(p["reason"])}) for p in problems]


def _job_summary(result: dict[str, Any]) -> ImportSummary:
    """The summary a done import job recorded, as the summary template shows it (its notes translatable again)."""
    summary = ImportSummary(
        kind=str(result.get("kind", "")), file=str(result.get("file", "")), mapping=str(result.get("mapping", ""))
    )
    for name in SUMMARY_FIELDS:
        if name in result:
            setattr(summary, name, result[name])
    summary.notes = [message_from_json(note) for note in result.get("notes", [])]
    summary.skipped_reason = message_from_json(result["skipped_reason"]) if result.get("skipped_reason") else ""
    summary.history_id = result.get("history")
    return summary


@dataclass
class _Review:
    """What the review page shows: the mapping as parsed, the first rows as mapped, and what went wrong."""

    upload: Upload
    error: str = ""
    mapping: Mapping | None = None
    preview: Preview | None = None
    summary: ImportSummary | None = None  # a validation's (dry run's) counts
    problems: list[Problem] = field(default_factory=list)
    status: int = 200

    def show_check(self, record: JobRecord | None) -> None:
        """What a validation job of this upload found, if it ran on the mapping as it is now (else nothing)."""
        if record is None or record.kind != "import_check" or record.active or record.params.get("upload") != self.upload.id:
            return
        if record.params.get("mapping_text") != self.upload.mapping_text or self.mapping is None:
            return  # the mapping has been edited since: that result says nothing about this one
        if record.state == "done":
            self.summary = _job_summary(record.result)
        elif record.state == "failed":
            self.problems, self.status = _check_problems(record), 400  # as the validation itself answered
            if "problem_count" in record.result:
                self.error = check_problems_count_text(int(record.result["problem_count"]))
            elif "error" in record.result:
                self.error = translated(message_from_json(record.result["error"]))
            else:
                self.error = record.error

    @classmethod
    def of(cls, upload: Upload, *, error: str = "") -> _Review:
        page = cls(upload, error=error)
        try:
            page.mapping = mapping_parse(
                upload.mapping_text, name=_("%(name)s (edited)") % {"name": upload.mapping_name}, kind=upload.kind
            )
        except ImportFileError as exc:
            page.error = translated(exc)
            return page
        try:
            name, zone = upload.name, str(settings.TIME_ZONE)
            page.preview = preview_rows(upload.path, page.mapping, name=name, timezone=zone, rows=PREVIEW_ROWS)
        except ImportFileError as exc:
            page.error, page.status = translated(exc), 400
        return page

    def render(self, request: HttpRequest) -> HttpResponse:
        upload, preview = self.upload, self.preview
        context = {
            "picker": _picker(upload.path, upload.name, upload.kind, upload.mapping_text, self.mapping),
            "save_as": "" if upload.mapping_name in BUILTIN_NAMES else upload.mapping_name,
            "keep": KEEP,
            "upload": upload,
            "kind_label": KIND_LABELS[upload.kind],
            "preview": preview,
            "summary": self.summary,
            "error": self.error,
            "problems": self.problems,
            "mapping_label": mapping_label(upload.mapping_name),
            # (code, human name) of each mapped field: the preview's column headers
            "preview_fields": [(code, field_label(upload.kind, code)) for code in preview.fields] if preview else [],
        }
        return render(request, "imports/review.html", context, status=self.status)


def _picker(path: Path, name: str, kind: str, text: str, mapping: Mapping | None) -> dict[str, Any]:
    """The column picker: the file's columns, and each field with its label and the column it reads."""
    try:
        header, examples = header_sample(path, mapping or Mapping(kind=kind), name=name)
    except ImportFileError:
        return {}  # the page already says why the file cannot be read
    rows = [(row, field_label(kind, row.field)) for row in column_picker(text, kind, header, examples)]
    return {"header": [(column, examples[column]) for column in header], "rows": rows, "scales": _scale_choices(rows)}


_SCALE_NAMES = {"1000": "千円 · thousands", "10000": "万円", "1000000": "百万円 · millions", "100000000": "億円"}


def _scale_choices(rows: list[tuple[PickerRow, str]]) -> list[tuple[str, str]]:
    """The picker's multipliers for a money field, (value, label): the usual ones, and any other the TOML has."""
    values = [*SCALES, *(r.scale_written for r, _label in rows if r.scale_written and r.scale_written not in SCALES)]
    choices = [("1", _("×1: the numbers as written"))]
    for value in dict.fromkeys(values[1:]):
        try:
            shown = f"×{float(value):,.10g}"
        except ValueError:  # not a number (typed in the TOML): mapping_parse says so
            shown = value
        choices.append((value, f"{shown} ({_SCALE_NAMES[value]})" if value in _SCALE_NAMES else shown))
    return choices


@login_required
@require_http_methods(["GET"])
def rejects(request: HttpRequest, run_id: int) -> FileResponse:
    """The rows an import set aside (``import_valid`` on this page, ``skip_invalid`` over the API), with the reasons."""
    _require_manager(request)
    found = run_rejects(run_id)
    if found is None:
        raise Http404(_("This import kept no rejected rows."))
    path, name = found
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type="text/csv")
