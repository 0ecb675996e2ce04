"""The retention page's one input: the day to measure as of."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kokyaku.lib.dates import validate_day


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        validators=[validate_day],
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )
