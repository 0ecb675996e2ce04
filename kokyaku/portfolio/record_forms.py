"""Edit forms of the account and deal pages: the fields the crm services change, in the units a reader uses.

The forms only read and type the input; the rules (who may change what, a deal's status and dates)
are the crm services' (:func:`kokyaku.crm.services.account_update`, ``deal_update``), which a view
calls with :meth:`RecordForm.changes`: only the fields the reader actually changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import Account, Deal, LostReason


def _plain(amount: Decimal | None) -> Decimal | None:
    """An amount without trailing decimals when it has none (10120000, not 10120000.00)."""
    if amount is None or amount != amount.to_integral_value():
        return amount
    return amount.quantize(Decimal(1))


def _raw(value: object) -> str:
    """A value as a form posts it."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _shown(field: forms.Field, value: object) -> str:
    """A value as the reader knows it: a choice by its label, an empty value as a dash."""
    raw = _raw(value)
    if raw == "":
        return "—"
    for key, label in getattr(field, "choices", ()):
        if str(key) == raw:
            return str(label)
    return raw


class RecordForm(forms.Form):
    """A form over one record; ``owner`` is offered only to those who may change it."""

    owner = forms.TypedChoiceField(label=_("Owner"), choices=[], coerce=int, empty_value=None, required=False)
    # The record's version when the form was read: saving over a newer one is refused (kokyaku.crm.conflicts).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args: Any, owners: list[tuple[int, str]] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            field = self.fields["owner"]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = [("", _("Unassigned")), *owners]

    def changes(self) -> dict[str, Any]:
        """The fields the reader changed, by the names the crm services take."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}

    def differences(self, current: RecordForm) -> list[tuple[str, str, str]]:
        """(label, what this form says, what ``current`` says) for each visible field where they differ.

        What an editor typed and did not save after an edit conflict, beside the values saved meanwhile.
        """
        rows = []
        for name, field in self.fields.items():
            if name == "version" or name not in current.fields:
                continue
            mine = self.data.get(self.add_prefix(name), "")
            theirs = current.initial.get(name)
            shown = _shown(field, theirs)
            if str(mine).strip() != _raw(theirs):
                rows.append((str(field.label), _shown(field, mine) if mine != "" else "—", shown))
        return rows


class AccountEditForm(RecordForm):
    name = forms.CharField(label=_("Name"), max_length=300)
    buyer_type = forms.ChoiceField(label=_("Buyer type"), choices=Account.BuyerType.choices)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    employees = forms.IntegerField(label=_("Employees"), min_value=0, required=False)
    annual_revenue = forms.DecimalField(label=_("Annual revenue"), min_value=0, max_digits=18, decimal_places=2, required=False)

    @classmethod
    def of(cls, account: Account, *, owners: list[tuple[int, str]] | None, data: Any = None) -> AccountEditForm:
        initial = {
            "owner": account.owner_id, "name": account.name, "buyer_type": account.buyer_type, "industry": account.industry,
            "region": account.region, "employees": account.employees, "annual_revenue": _plain(account.annual_revenue),
            "version": account.version,
        }  # fmt: skip
        return cls(data, initial=initial, owners=owners)


class DealEditForm(RecordForm):
    name = forms.CharField(label=_("Deal"), max_length=300, required=False)
    stage = forms.CharField(label=_("Stage"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Deal.Status.choices)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=18, decimal_places=2, required=False)
    probability = forms.IntegerField(
        label=_("Probability (%)"), min_value=0, max_value=100, required=False, help_text=_("What you expect, 0-100.")
    )
    expected_close_on = forms.DateField(
        label=_("Expected close date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    closed_on = forms.DateField(
        label=_("Closed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only for a won or lost deal; today when left empty."),
    )
    lost_reason = forms.ChoiceField(label=_("Lost reason"), choices=[], required=False)

    def __init__(self, *args: Any, reasons: list[LostReason], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lost_reason"]
        assert isinstance(field, forms.ChoiceField)
        language = get_language()
        field.choices = [("", "—"), *((r.code, r.label(language)) for r in reasons)]

    def clean_lost_reason(self) -> str | None:
        return self.cleaned_data.get("lost_reason") or None

    @classmethod
    def of(cls, deal: Deal, *, owners: list[tuple[int, str]] | None, reasons: list[LostReason], data: Any = None) -> DealEditForm:
        initial = {
            "owner": deal.owner_id, "name": deal.name, "stage": deal.stage, "status": deal.status,
            "amount": _plain(deal.amount), "probability": deal.probability, "expected_close_on": deal.expected_close_on,
            "closed_on": deal.closed_on, "lost_reason": deal.lost_reason.code if deal.lost_reason else "",
            "version": deal.version,
        }  # fmt: skip
        offered = [r for r in reasons if r.active or r.pk == deal.lost_reason_id]
        return cls(data, initial=initial, owners=owners, reasons=offered)
