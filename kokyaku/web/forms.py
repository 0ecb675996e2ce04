"""Forms of the web shell: they parse and validate input; the services do the writes."""

from __future__ import annotations

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import LostReason

# Active ISO 4217 currency codes (2024 list, without funds, metals and test codes). A typo such as "YEN"
# would otherwise be saved, and every revenue figure, which counts deals in the company currency, would drop to 0.
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
    TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


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
