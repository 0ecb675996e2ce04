"""Forms of the buyers pages: the checklist, the type, a key person, an objection, the objection filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kokyaku.buyers.labels import trait_text
from kokyaku.buyers.models import KeyPerson, Objection, TypeDecision
from kokyaku.crm.models import Account, Deal
from kokyaku.domain.buyer_types import TRAITS
from kokyaku.lib.dates import validate_day


class ChecklistForm(forms.Form):
    traits = forms.MultipleChoiceField(label=_("Traits"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["traits"].choices = [(t.code, trait_text(t)) for t in TRAITS]  # type: ignore[attr-defined]


class TypeForm(forms.Form):
    buyer_type = forms.ChoiceField(label=_("Buyer type"), choices=Account.BuyerType.choices)
    source = forms.ChoiceField(
        choices=TypeDecision.Source.choices, initial=TypeDecision.Source.OVERRIDE, widget=forms.HiddenInput
    )
    confidence = forms.FloatField(required=False, min_value=0, max_value=1, widget=forms.HiddenInput)


class KeyPersonForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = KeyPerson
        fields = ["name", "department", "title", "role", "benefit", "influence", "stance", "last_contact", "notes"]
        widgets = {
            "last_contact": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "influence": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }


class ObjectionForm(forms.ModelForm):  # type: ignore[type-arg]
    deal = forms.TypedChoiceField(label=_("Deal"), choices=[], coerce=int, empty_value=None, required=False)

    class Meta:
        model = Objection
        fields = ["date", "product", "tags", "said", "answer"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "said": forms.Textarea(attrs={"rows": 2}),
            "answer": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"tags": _("Comma-separated, e.g. price, roi"), "answer": _("Leave empty if nothing worked.")}

    def __init__(self, *args: Any, deals: list[Deal] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deal"].choices = [("", "—"), *[(d.pk, d.name or d.external_id) for d in deals or []]]  # type: ignore[attr-defined]


class ObjectionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    buyer_type = forms.ChoiceField(
        label=_("Buyer type"), choices=[("", _("All types")), *Account.BuyerType.choices], required=False
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    product = forms.ChoiceField(label=_("Product"), choices=[], required=False)
    start = forms.DateField(
        validators=[validate_day], label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        validators=[validate_day], label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, products: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("All products")), *[(p, p) for p in products or []]]  # type: ignore[attr-defined]
