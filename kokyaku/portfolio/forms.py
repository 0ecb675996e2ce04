"""Forms of the portfolio pages: table filters, logging an activity, criteria, targets, periods."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import Account, Activity, Deal, Rep
from kokyaku.domain.portfolio import BANDS, ZONES
from kokyaku.lib.dates import validate_day
from kokyaku.portfolio.models import AxisMode, Band, Lifecycle, Zone
from kokyaku.portfolio.selectors import SORTS

# Zone(z).label stays lazy ("Zone A" / "Aゾーン" in the reader's language); formatting one here would fix it at import.
ZONE_CHOICES = [("", _("All zones")), *[(z, Zone(z).label) for z in ZONES], ("none", _("Unzoned"))]
BAND_CHOICES = [("", _("Any")), *[(b, Band(b).label) for b in BANDS]]
NEAR_CHOICES = [("", _("All accounts")), ("1", _("Near a boundary")), ("0", _("Not near a boundary"))]
SORT_CHOICES = [(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS]


class TableFilterForm(forms.Form):
    """Filters and sort of the portfolio table; every field optional, bad values are dropped."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    zone = forms.ChoiceField(label=_("Zone"), choices=ZONE_CHOICES, required=False)
    buyer_type = forms.ChoiceField(
        label=_("Buyer type"), choices=[("", _("All types")), *Account.BuyerType.choices], required=False
    )
    lifecycle = forms.ChoiceField(label=_("Lifecycle"), choices=[("", _("All stages")), *Lifecycle.choices], required=False)
    near = forms.ChoiceField(label=_("Near boundary"), choices=NEAR_CHOICES, required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), choices=[], coerce=int, empty_value=None, required=False)
    price_band = forms.ChoiceField(label=_("Unit price band"), choices=BAND_CHOICES, required=False)
    probability_band = forms.ChoiceField(label=_("Probability band"), choices=BAND_CHOICES, required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args: Any, owners: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("All owners")), *(owners or [])]

    def selector_kwargs(self) -> dict[str, Any]:
        """Return the cleaned filters as keyword arguments of ``selectors.portfolio_table``."""
        data = self.cleaned_data if self.is_valid() else dict(getattr(self, "cleaned_data", {}))
        zone = data.get("zone") or None
        near = data.get("near")
        return {
            "search": data.get("q") or None,
            "zone": "" if zone == "none" else zone,
            "buyer_type": data.get("buyer_type") or None,
            "lifecycle": data.get("lifecycle") or None,
            "near_boundary": None if not near else near == "1",
            "owner_id": data.get("owner"),
            "price_band": data.get("price_band") or None,
            "probability_band": data.get("probability_band") or None,
            "sort": data.get("sort") or "-expected_value",
            "page": data.get("page") or 1,
        }


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    minutes = forms.IntegerField(label=_("Minutes spent"), min_value=0, max_value=24 * 60, initial=30)
    deal = forms.TypedChoiceField(label=_("Deal"), choices=[], coerce=int, empty_value=None, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, deals: list[Deal] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["deal"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("No particular deal")), *((d.pk, d.name or d.external_id) for d in deals or [])]
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))


GRID_FIELDS = [(p, q) for p in BANDS for q in BANDS]


def error_lines(form: forms.Form, *, colon: bool = False) -> list[str]:
    """Every error of a bound form as one line led by its field's label; empty when the form is valid."""
    if form.is_valid():
        return []
    sep = ": " if colon else " "
    lines = []
    for name, errors in form.errors.items():
        label = str(form.fields[name].label) if name in form.fields else ""
        lines.append(f"{label}{sep if label else ''}{' '.join(str(m) for m in errors)}".strip())
    return lines


def _shown(value: float) -> float:
    """A threshold as the form shows it: at most two decimals (1/3 → 33.33)."""
    return round(float(value), 2)


class CriteriaForm(forms.Form):
    """Every editable field of a criteria version, thresholds in the units a manager reads.

    Quantile thresholds are percentiles (0-100: 33.33 and 66.67 are the terciles); absolute ones
    are amounts in the company currency (unit price) or percent (win probability). The model keeps
    fractions (0-1) for quantiles and probabilities: :meth:`criteria_params` converts, and a value
    left as shown keeps the exact value of ``baseline`` (the current version), so re-saving the
    default terciles stores 1/3, not 0.3333.
    """

    price_mode = forms.ChoiceField(label=_("Unit price cut by"), choices=AxisMode.choices)
    price_low = forms.FloatField(
        label=_("Unit price: low threshold"), help_text=_("Quantile: a percentile (0-100). Absolute: an amount.")
    )
    price_high = forms.FloatField(label=_("Unit price: high threshold"))
    probability_mode = forms.ChoiceField(label=_("Win probability cut by"), choices=AxisMode.choices)
    probability_low = forms.FloatField(
        label=_("Win probability: low threshold"), help_text=_("Quantile: a percentile (0-100). Absolute: a probability in %.")
    )
    probability_high = forms.FloatField(label=_("Win probability: high threshold"))
    near_margin_pct = forms.FloatField(
        label=_("Near-boundary margin (%)"),
        min_value=0,
        max_value=100,
        help_text=_("Accounts within this share of a threshold are flagged as near a boundary."),
    )
    lookback_months = forms.IntegerField(label=_("Unit price look-back (months)"), min_value=1, max_value=240)
    stages = forms.CharField(
        label=_("Probability per stage or ヨミ rank (%)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One per line: stage = percent, e.g. “Proposal = 40”."),
    )
    note = forms.CharField(label=_("Note for this version"), required=False, max_length=300)

    def __init__(self, *args: Any, baseline: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.baseline = baseline or {}
        zone_choices = [(z, z) for z in ZONES]
        for p, q in GRID_FIELDS:
            self.fields[f"grid_{p}_{q}"] = forms.ChoiceField(choices=zone_choices, label=f"{p}/{q}")

    @staticmethod
    def _scale(axis: str, mode: str) -> float:
        """How many form units make one stored unit: 100 for percentiles and probabilities, 1 for amounts."""
        return 1.0 if axis == "price" and mode == "absolute" else 100.0

    @classmethod
    def initial_from(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Return form initial data from ``Criteria.as_params()`` (thresholds in the form's units)."""
        initial: dict[str, Any] = {k: params[k] for k in ("price_mode", "probability_mode", "lookback_months")}
        for axis in ("price", "probability"):
            scale = cls._scale(axis, str(params[f"{axis}_mode"]))
            for end in ("low", "high"):
                initial[f"{axis}_{end}"] = _shown(float(params[f"{axis}_{end}"]) * scale)
        initial["near_margin_pct"] = round(float(params["near_margin"]) * 100, 4)
        initial["stages"] = "\n".join(f"{k} = {float(v):g}" for k, v in dict(params["stage_probabilities"]).items())
        for p, q in GRID_FIELDS:
            initial[f"grid_{p}_{q}"] = params["grid"][p][q]
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for axis, name in (("price", _("Unit price")), ("probability", _("Win probability"))):
            mode, low, high = data.get(f"{axis}_mode"), data.get(f"{axis}_low"), data.get(f"{axis}_high")
            if mode is None or low is None or high is None:
                continue
            if mode == "quantile" and not 0 < low < high < 100:
                self.add_error(
                    f"{axis}_low",
                    _("%(axis)s: the low percentile must be below the high one, both between 0 and 100.") % {"axis": name},
                )
            elif mode == "absolute" and axis == "probability" and not 0 <= low < high <= 100:
                self.add_error(
                    f"{axis}_low",
                    _("%(axis)s: the low probability must be below the high one, both from 0 to 100%%.") % {"axis": name},
                )
        return data

    def _threshold(self, axis: str, end: str) -> float:
        """The stored value of a threshold field; the baseline's exact value when it is left as shown."""
        mode = str(self.cleaned_data[f"{axis}_mode"])
        value = float(self.cleaned_data[f"{axis}_{end}"])
        scale = self._scale(axis, mode)
        base = self.baseline.get(f"{axis}_{end}")
        if base is not None and self.baseline.get(f"{axis}_mode") == mode and _shown(float(base) * scale) == _shown(value):
            return float(base)
        return value / scale

    def clean_stages(self) -> dict[str, float]:
        table: dict[str, float] = {}
        for number, line in enumerate(str(self.cleaned_data["stages"]).splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            try:
                pct = float(value.strip().rstrip("%"))
            except ValueError:
                pct = -1.0
            if not sep or not name.strip() or not 0 <= pct <= 100:
                raise forms.ValidationError(
                    _("Line %(n)s (“%(line)s”): write “stage = percent” with a percent from 0 to 100.")
                    % {"n": number, "line": line.strip()}
                )
            table[name.strip()] = pct
        return table

    def criteria_params(self) -> dict[str, Any]:
        """Return the cleaned data as ``criteria_create`` keyword arguments."""
        d = self.cleaned_data
        return {
            "price_mode": d["price_mode"],
            "price_low": self._threshold("price", "low"),
            "price_high": self._threshold("price", "high"),
            "probability_mode": d["probability_mode"],
            "probability_low": self._threshold("probability", "low"),
            "probability_high": self._threshold("probability", "high"),
            "grid": {p: {q: d[f"grid_{p}_{q}"] for q in BANDS} for p in BANDS},
            "near_margin": d["near_margin_pct"] / 100.0,
            "lookback_months": d["lookback_months"],
            "stage_probabilities": d["stages"],
            "note": d.get("note") or "",
        }


class DateRangeForm(forms.Form):
    start = forms.DateField(validators=[validate_day], label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(validators=[validate_day], label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366 * 10:
            raise forms.ValidationError(_("Choose a period of at most ten years."))
        return data

    @staticmethod
    def default_range(today: date) -> tuple[date, date]:
        """The last twelve months up to today."""
        return today.replace(day=1) - timedelta(days=365), today


class TargetForm(forms.Form):
    # Rendered as a hidden id filled by the page's rep search box: no option per rep.
    rep = forms.ModelChoiceField(
        label=_("Rep"), queryset=Rep.objects.filter(active=True), widget=forms.HiddenInput(attrs={"data-owner-id": ""})
    )
    period = forms.CharField(label=_("Period"), max_length=12)
    amount = forms.DecimalField(
        label=_("Target"), min_value=Decimal(0), max_digits=18, decimal_places=2, required=False,
        help_text=_("Leave empty to remove the target."),
    )  # fmt: skip
