"""The words pages, the CLI and the API show for the domain core's codes: terms, move reasons, infeasibility."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

TERM_LABELS: Mapping[str, StrOrPromise] = {
    "released": gettext_lazy("released by a strong rep"),
    "pragmatist": gettext_lazy("pragmatist"),
    "conservative": gettext_lazy("conservative"),
    "zone_a": gettext_lazy("zone A"),
    "visionary": gettext_lazy("visionary"),
    "skeptic": gettext_lazy("skeptic"),
    "prospect": gettext_lazy("prospect (nothing won yet)"),
}

MOVE_REASONS: Mapping[str, StrOrPromise] = {
    "unowned": gettext_lazy("had no owner"),
    "inactive_owner": gettext_lazy("its owner is inactive"),
    "out_of_scope": gettext_lazy("its owner is outside its team"),
    "released": gettext_lazy("a strong rep released it: a developing rep takes it on"),
    "pragmatist": gettext_lazy("pragmatist: a strong rep closes it"),
    "conservative": gettext_lazy("conservative: a strong rep keeps it"),
    "zone_a": gettext_lazy("zone A: a strong rep keeps it"),
    "visionary": gettext_lazy("visionary: a developing rep grows with it"),
    "skeptic": gettext_lazy("skeptic: a developing rep collects its objections"),
    "prospect": gettext_lazy("prospect: a developing rep opens it"),
    "over_capacity": gettext_lazy("its owner carried more than their capacity"),
    "over_value_capacity": gettext_lazy("its owner carried more expected value than their capacity"),
    "rebalance": gettext_lazy("frees room for accounts the policy wants with its owner"),
}

STATUS_LABELS: Mapping[str, StrOrPromise] = {
    "optimal": gettext_lazy("optimal (proven)"),
    "unproven": gettext_lazy("within every capacity, not proven optimal"),
    "infeasible": gettext_lazy("no plan"),
}


def move_reason(code: str) -> str:
    return str(MOVE_REASONS.get(code, code))


def _figure(value: Any) -> str:
    """A count as people write it (4,457); anything else as it is."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def infeasible_message(reason: Mapping[str, Any] | None) -> str:
    """The translated sentence for a stored infeasibility (the domain's ``to_dict()``), naming teams and numbers."""
    if not reason:
        return ""
    code, totals = str(reason.get("code", "")), dict(reason.get("totals") or {})
    teams = ", ".join(str(d.get("team", "")) for d in reason.get("details") or [] if d.get("team") is not None)
    messages: dict[str, str] = {
        "pinned_to_inactive_rep": _("%(accounts)s pinned accounts belong to inactive reps: unpin them or reactivate the reps."),
        "no_active_reps": _("There is no active rep to take the accounts."),
        "team_without_reps": _("Teams %(teams)s have accounts but no rep, and the policy keeps accounts in their team."),
        "team_without_active_reps": _(
            "Teams %(teams)s have accounts but no active rep, and the policy keeps accounts in their team."
        ),
        "region_without_reps": _(
            "No active rep covers the regions of some accounts, and the policy keeps accounts in their region."
        ),
        "fixed_over_capacity": _("Pinned and held dormant accounts already exceed some reps' capacity."),
        "fixed_over_value_capacity": _("Pinned and held dormant accounts already exceed some reps' value capacity."),
        "capacity_short": _(
            "Total capacity is too small: %(accounts)s accounts need an owner, the reps who may take them have room for "
            "%(capacity)s (%(shortfall)s short). Short per team: %(per_team)s."
        ),
        "value_capacity_short": _("The accounts' expected value does not fit the reps' value capacities."),
        "time_limit": _("No plan within the value capacities was found in the time allowed."),
        "value_not_found": _("No plan within the value capacities was found."),
    }
    no_team = _("no team")  # accounts whose owner-to-be has no team (imported customers)
    per_team = ", ".join(
        f"{d.get('team') or no_team} {_figure(d.get('shortfall'))}" for d in reason.get("details") or [] if d.get("shortfall")
    )
    template = messages.get(code)
    if template is None:
        return str(reason.get("message", code))
    values = {"teams": teams or "—", "per_team": per_team or "—", "accounts": "", "capacity": "", "shortfall": ""}
    values.update({k: _figure(v) for k, v in totals.items() if k in values})
    return template % values
