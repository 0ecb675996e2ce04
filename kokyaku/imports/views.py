"""Import pages (managers only): upload, review the mapping and the first rows, validate, confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from kokyaku.imports.errors import ImportFileError, ImportInvalid
from kokyaku.imports.forms import KIND_LABELS, UploadForm
from kokyaku.imports.i18n import field_label, mapping_label, translated
from kokyaku.imports.mapping import BUILTIN_DIR, BUILTIN_NAMES, Mapping, mapping_parse, mapping_set_columns
from kokyaku.imports.models import ImportRun
from kokyaku.imports.preview import KEEP, Preview, column_picker, header_sample, picker_changes, preview_rows
from kokyaku.imports.selectors import import_runs_recent, run_rejects
from kokyaku.imports.services import ImportSummary, import_recorded, mapping_save
from kokyaku.imports.uploads import upload_delete, upload_get, upload_set_mapping, upload_store
from kokyaku.users.roles import is_manager

PREVIEW_ROWS = 20


def _require_manager(request: HttpRequest) -> int:
    if not is_manager(request.user):
        raise PermissionDenied(_("Only managers can import data."))
    assert request.user.pk is not None
    return int(request.user.pk)


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    user_id = _require_manager(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind, name = form.cleaned_data["kind"], form.cleaned_data["mapping"]
        saved = form.saved.get(name)
        if saved is not None:
            name, text = saved.name, saved.text
        else:
            text = (BUILTIN_DIR / name / f"{kind}.toml").read_text(encoding="utf-8")
        upload = upload_store(file=form.cleaned_data["file"], kind=kind, user_id=user_id, mapping_name=name, mapping_text=text)
        return redirect("imports:review", upload_id=upload.id)
    context = {"form": form, "max_mb": settings.UPLOAD_MAX_MB, "runs": import_runs_recent()}
    return render(request, "imports/start.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, upload_id: str) -> HttpResponse:
    user_id = _require_manager(request)
    upload = upload_get(upload_id=upload_id, user_id=user_id)
    if upload is None:
        raise Http404(_("This upload does not exist any more."))
    action = request.POST.get("action", "preview")
    if request.method == "POST" and "mapping_text" in request.POST:
        # the column picker's changes are written into the TOML's [columns]; the rest stays as typed
        picked = picker_changes(request.POST.dict(), upload.kind)
        upload_set_mapping(upload=upload, mapping_text=mapping_set_columns(request.POST["mapping_text"], picked))
    error = ""
    if request.method == "POST" and action == "save_mapping":
        name = request.POST.get("save_as", "")
        try:
            mapping_save(actor=request.user, kind=upload.kind, name=name, text=upload.mapping_text)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            upload_set_mapping(upload=upload, mapping_text=upload.mapping_text, mapping_name=name.strip())
            messages.success(
                request,
                _("Mapping saved as %(name)s: pick it on the upload page next time, or use it by name (--mapping, mapping=).")
                % {"name": name.strip()},
            )
    mapping: Mapping | None = None
    try:
        mapping = mapping_parse(upload.mapping_text, name=f"{upload.mapping_name} (edited)", kind=upload.kind)
    except ImportFileError as exc:
        error = translated(exc)
    preview: Preview | None = None
    summary: ImportSummary | None = None
    problems = []
    status = 200
    if mapping is not None:
        try:
            preview = preview_rows(upload.path, mapping, name=upload.name, timezone=str(settings.TIME_ZONE), rows=PREVIEW_ROWS)
            if request.method == "POST" and action in {"validate", "import", "import_valid"}:
                summary = import_recorded(
                    source="web",
                    actor=request.user,
                    kind=upload.kind,
                    path=upload.path,
                    mapping=mapping,
                    file_name=upload.name,
                    dry_run=action == "validate",
                    skip_invalid=action == "import_valid",  # the refused rows go to a CSV kept with the history line
                )
        except ImportFileError as exc:
            error, status = translated(exc), 400
        except ImportInvalid as exc:
            error, status, problems = _invalid(exc.problem_count), 400, exc.problems
    if summary is not None and not summary.dry_run:
        upload_delete(upload=upload)
        messages.success(request, _("Imported %(file)s: nothing else to do.") % {"file": upload.name})
        run = ImportRun.objects.filter(pk=summary.history_id).first() if summary.history_id else None
        context = {"summary": summary, "kind_label": KIND_LABELS[upload.kind], "run": run}
        return render(request, "imports/done.html", context)
    context = {
        "picker": _picker(upload.path, upload.name, upload.kind, upload.mapping_text, mapping),
        "save_as": "" if upload.mapping_name in BUILTIN_NAMES else upload.mapping_name,
        "keep": KEEP,
        "upload": upload,
        "kind_label": KIND_LABELS[upload.kind],
        "preview": preview,
        "summary": summary,
        "error": error,
        "problems": problems,
        "mapping_label": mapping_label(upload.mapping_name),
        # (code, human name) of each mapped field: the preview's column headers
        "preview_fields": [(code, field_label(upload.kind, code)) for code in preview.fields] if preview else [],
    }
    return render(request, "imports/review.html", context, status=status)


def _picker(path: Path, name: str, kind: str, text: str, mapping: Mapping | None) -> dict[str, Any]:
    """The column picker: the file's columns, and each field with its label and the column it reads."""
    try:
        header, examples = header_sample(path, mapping or Mapping(kind=kind), name=name)
    except ImportFileError:
        return {}  # the page already says why the file cannot be read
    rows = [(row, field_label(kind, row.field)) for row in column_picker(text, kind, header, examples)]
    return {"header": [(column, examples[column]) for column in header], "rows": rows}


def _invalid(count: int) -> str:
    return ngettext(
        "%(count)s problem found. Fix the file or the mapping, then validate again.",
        "%(count)s problems found. Fix the file or the mapping, then validate again.",
        count,
    ) % {"count": f"{count:,}"}


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
