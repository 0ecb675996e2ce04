"""Forms of the follow-up pages: closing a follow-up, reassigning one, filtering the dormant list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kokyaku.followups.models import FollowUp
from kokyaku.followups.selectors import LIFECYCLE_ALL
from kokyaku.lib.dates import validate_day

OUTCOME_CHOICES = [(v, label) for v, label in FollowUp.Outcome.choices if v not in ("", FollowUp.Outcome.REACTIVATED)]


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.TextInput)


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Why"), required=False, max_length=2000)


class ReassignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int)
    due_on = forms.DateField(
        validators=[validate_day], label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, reps: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = reps  # type: ignore[attr-defined]


class DormantFilterForm(forms.Form):
    lifecycle = forms.ChoiceField(
        label=_("Lifecycle"),
        required=False,
        choices=[
            ("dormant", _("Dormant")),
            ("at_risk", _("At risk")),
            ("churned", _("Churned")),
            (LIFECYCLE_ALL, _("All stages")),
        ],
    )
    zone = forms.ChoiceField(label=_("Zone"), required=False, choices=[("", _("Any zone")), ("A", "A"), ("B", "B"), ("C", "C")])
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    idle = forms.IntegerField(label=_("No activity for (days)"), required=False, min_value=1, max_value=3650)

    def __init__(self, *args: Any, owners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Anyone")), *owners]  # type: ignore[attr-defined]


class DepartureForm(forms.Form):
    churned_on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput)
