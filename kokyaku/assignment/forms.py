"""Forms of the assignment pages: the policy (weights and reps), releasing an account."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kokyaku.assignment.labels import TERM_LABELS
from kokyaku.assignment.selectors import RepSetting
from kokyaku.crm.models import Rep
from kokyaku.domain.assignment import TERM_TIERS, AssignmentPolicy

WEIGHT: dict[str, Any] = {"min_value": Decimal(0), "max_value": Decimal(100), "decimal_places": 2, "max_digits": 5}


class PolicyForm(forms.Form):
    """The policy's weights and rules, and each rep's tier, capacity, activity and value capacity."""

    continuity = forms.DecimalField(
        label=_("Continuity (keeping the current owner)"),
        help_text=_("Earned for each account that stays with its owner: raise it to move fewer accounts."),
        **WEIGHT,
    )
    keep_team = forms.BooleanField(label=_("Keep accounts in their team"), required=False)
    keep_region = forms.BooleanField(label=_("Keep accounts in their region"), required=False)
    dormant_follow_up = forms.BooleanField(
        label=_("Dormant accounts stay with their owner (the others go to the follow-up queue)"), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, reps: list[RepSetting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reps = reps
        for term, tier in TERM_TIERS.items():
            wants = _("strong rep") if tier == "strong" else _("developing rep")
            self.fields[f"weight_{term}"] = forms.DecimalField(label=f"{TERM_LABELS[term]} → {wants}", **WEIGHT)
        for rep in reps:
            self.fields[f"rep_{rep.id}_tier"] = forms.ChoiceField(label=_("Tier"), choices=Rep.Tier.choices)
            self.fields[f"rep_{rep.id}_capacity"] = forms.IntegerField(label=_("Capacity (accounts)"), min_value=0)
            self.fields[f"rep_{rep.id}_active"] = forms.BooleanField(label=_("Active"), required=False)
            self.fields[f"rep_{rep.id}_value"] = forms.DecimalField(
                label=_("Value capacity"), required=False, min_value=Decimal(0), max_digits=18, decimal_places=2
            )

    @staticmethod
    def initial_from(policy: AssignmentPolicy, reps: list[RepSetting]) -> dict[str, Any]:
        initial: dict[str, Any] = {f"weight_{t}": Decimal(str(w)) for t, w in policy.weights.items()}
        initial.update(
            continuity=Decimal(str(policy.continuity)), keep_team=policy.keep_team, keep_region=policy.keep_region,
            dormant_follow_up=policy.dormant_follow_up,
        )  # fmt: skip
        for rep in reps:
            initial[f"rep_{rep.id}_tier"] = rep.tier
            initial[f"rep_{rep.id}_capacity"] = rep.capacity
            initial[f"rep_{rep.id}_active"] = rep.active
            initial[f"rep_{rep.id}_value"] = rep.value_capacity
        return initial

    def rows(self) -> list[dict[str, Any]]:
        """One row per rep for the template: the rep and its four fields (tier, capacity, active, value capacity)."""
        return [
            {"rep": rep, "fields": [self[f"rep_{rep.id}_{name}"] for name in ("tier", "capacity", "active", "value")]}
            for rep in self.reps
        ]  # fmt: skip

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{t}"] for t in TERM_TIERS]

    def policy_dict(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "weights": {t: float(d[f"weight_{t}"]) for t in TERM_TIERS},
            "continuity": float(d["continuity"]),
            "keep_team": bool(d["keep_team"]),
            "keep_region": bool(d["keep_region"]),
            "dormant_follow_up": bool(d["dormant_follow_up"]),
        }

    def rep_changes(self) -> dict[int, dict[str, Any]]:
        d = self.cleaned_data
        return {
            r.id: {"tier": d[f"rep_{r.id}_tier"], "capacity": d[f"rep_{r.id}_capacity"], "active": bool(d[f"rep_{r.id}_active"])}
            for r in self.reps
        }

    def value_capacities(self) -> dict[int, Decimal | None]:
        return {r.id: self.cleaned_data[f"rep_{r.id}_value"] for r in self.reps}


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you release it"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The developing rep who takes it over reads this."),
    )
