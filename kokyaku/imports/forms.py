"""The upload form of the import pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kokyaku.imports.fields import KINDS
from kokyaku.imports.i18n import MAPPING_LABELS
from kokyaku.imports.mapping import BUILTIN_NAMES

KIND_LABELS = {
    "accounts": _("Accounts"),
    "reps": _("Reps"),
    "deals": _("Deals"),
    "activities": _("Activities"),
    "purchases": _("Purchases (invoice lines)"),
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Shift_JIS, any delimiter), XLSX, or either gzipped."),
        error_messages={"empty": _("The file is empty (0 bytes).")},  # Django's own check comes before clean_file
    )
    mapping = forms.ChoiceField(
        label=_("Mapping"),
        choices=[(n, MAPPING_LABELS[n]) for n in BUILTIN_NAMES],
        help_text=_("You can edit it on the next page."),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = int(settings.UPLOAD_MAX_MB)
        if upload.size is not None and upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB.") % {"limit": limit})
        if not upload.size:
            raise forms.ValidationError(_("The file is empty (0 bytes)."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, mapping = data.get("kind"), data.get("mapping")
        if kind == "purchases" and mapping not in (None, "generic"):
            self.add_error("mapping", _("Purchases have only the Kokyaku-columns mapping built in; edit it on the next page."))
        return data
