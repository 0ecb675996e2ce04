"""Forms of the web shell: they parse and validate input; the services do the writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import LostReason
from kokyaku.lib.currency import ISO_4217


class CompanySettingsForm(forms.Form):
    currency = forms.CharField(
        label=_("Currency"),
        min_length=3,
        max_length=3,
        help_text=_("Three-letter ISO 4217 code, such as JPY or USD."),
    )

    def clean_currency(self) -> str:
        code = str(self.cleaned_data["currency"]).strip().upper()
        if code not in ISO_4217:
            raise forms.ValidationError(
                _("“%(code)s” is not an ISO 4217 currency code (for example JPY, USD or EUR)."), params={"code": code}
            )
        return code

    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("Fiscal year starts in"),
        choices=[(m, MONTHS[m]) for m in range(1, 13)],
        coerce=int,
        help_text=_("Most Japanese listed companies start in April."),
    )
    dormancy_days = forms.IntegerField(
        label=_("Dormancy period (days)"),
        min_value=1,
        max_value=3650,
        help_text=_("A customer with no purchase for this long and nothing open is dormant."),
    )


class ConversionRateForm(forms.Form):
    """A conversion rate to set; the service checks the code, the company currency and the value."""

    currency = forms.CharField(
        label=_("Currency to convert"),
        min_length=3,
        max_length=3,
        help_text=_("ISO 4217 code of the deals' currency, such as USD."),
    )
    rate = forms.DecimalField(
        label=_("Rate"),
        max_digits=20,
        decimal_places=8,
        help_text=_("How many units of the company currency one unit of it is worth, e.g. 151.3 for USD in a JPY company."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_rate_%s")  # the settings form above has its own id_currency
        super().__init__(*args, **kwargs)


class LostReasonForm(forms.ModelForm[LostReason]):
    class Meta:
        model = LostReason
        fields = ["code", "label_ja", "label_en"]
        widgets = {"code": forms.TextInput(attrs={"placeholder": _("e.g. no_budget")})}
        # Django's default reads "Lost reason with this Code already exists." (この コード を持った 失注理由 …)
        error_messages = {"code": {"unique": _("This code is already in the list; retired reasons keep theirs too.")}}


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, e.g. 'nightly export'."),
    )
