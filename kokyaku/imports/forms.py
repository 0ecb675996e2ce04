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
from kokyaku.imports.selectors import saved_mappings

KIND_LABELS = {
    "accounts": _("Accounts"),
    "reps": _("Reps"),
    "deals": _("Deals"),
    "activities": _("Activities"),
    "purchases": _("Purchases (invoice lines)"),
    "contacts": _("Contacts (key persons)"),
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the mappings managers saved from the review page, after the built-in ones: "saved:<kind>:<name>"
        self.saved = {f"saved:{m.kind}:{m.name}": m for m in saved_mappings()}
        field = self.fields["mapping"]
        assert isinstance(field, forms.ChoiceField)
        builtin = [(n, MAPPING_LABELS[n]) for n in BUILTIN_NAMES]
        saved = [(key, f"{m.name} · {KIND_LABELS.get(m.kind, m.kind)}") for key, m in self.saved.items()]
        field.choices = [*builtin, (_("Saved mappings"), saved)] if saved else builtin

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
        saved = self.saved.get(str(mapping))
        if saved is not None:
            if saved.kind != kind:
                self.add_error(
                    "mapping",
                    _("The saved mapping %(name)s is for %(kind)s.") % {"name": saved.name, "kind": KIND_LABELS.get(saved.kind)},
                )
            return data
        if kind == "purchases" and mapping not in (None, "generic"):
            self.add_error("mapping", _("Purchases have only the Kokyaku-columns mapping built in; edit it on the next page."))
        return data
