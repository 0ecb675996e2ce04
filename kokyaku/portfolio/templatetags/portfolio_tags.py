"""Template helpers of the portfolio pages: percentages, zone badges, sort and page links."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kokyaku.crm.selectors import last_change_at

register = template.Library()


@register.filter
def pct(value: Any, places: int = 0) -> str:
    """Format a 0-1 probability as a percentage: ``0.634`` -> ``63%``; an em dash for None."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def pct100(value: Any, places: int = 0) -> str:
    """Format a value already in percent: ``63.4`` -> ``63%``."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(places)}f}%"


@register.filter
def zone_badge(zone: str | None) -> SafeString:
    """A zone badge using the shell's .zone-A/.zone-B/.zone-C classes; "unzoned" for an empty zone."""
    if zone in ("A", "B", "C"):
        return format_html('<span class="badge zone-{}" title="{}">{}</span>', zone, _("Zone %(zone)s") % {"zone": zone}, zone)
    return format_html('<span class="badge zone-none" title="{}">–</span>', _("Unzoned"))


# The labels of a row's lifecycle, buyer type and probability source: these filters, rather than an
# {% include %} per cell (three per row of a 50-row table were half the accounts page's Python time).
LIFECYCLE_LABELS = {
    "prospect": gettext_lazy("Prospect"),
    "new": gettext_lazy("New customer"),
    "active": gettext_lazy("Active customer"),
    "at_risk": gettext_lazy("At risk"),
    "dormant": gettext_lazy("Dormant"),
    "churned": gettext_lazy("Churned"),
}
BUYER_TYPE_LABELS = {
    "visionary": gettext_lazy("Visionary"),
    "pragmatist": gettext_lazy("Pragmatist"),
    "conservative": gettext_lazy("Conservative"),
    "skeptic": gettext_lazy("Skeptic"),
}
SOURCE_LABELS = {
    "model": gettext_lazy("Prediction model"),
    "rep": gettext_lazy("Rep's estimate"),
    "stage": gettext_lazy("Stage table"),
    "history": gettext_lazy("Purchase history"),
}


@register.filter
def lifecycle_label(value: Any) -> str:
    """A lifecycle stage's label ("Active customer"); an em dash for none."""
    return str(LIFECYCLE_LABELS.get(value, "—"))


@register.filter
def buyer_type_label(value: Any) -> str:
    """A buyer type's label ("Visionary"); "Unknown" for anything else."""
    label = BUYER_TYPE_LABELS.get(value)
    return str(label) if label is not None else _("Unknown")


@register.filter
def source_label(value: Any) -> str:
    """Where a probability came from ("Prediction model"); an em dash for none."""
    return str(SOURCE_LABELS.get(value, "—"))


@register.simple_tag
def query(params: QueryDict, **changes: Any) -> str:
    """Return ``params`` with ``changes`` applied as ``?a=1&b=2`` (for sort and page links)."""
    q = params.copy()
    for key, value in changes.items():
        if value is None or value == "":
            q.pop(key, None)
        else:
            q[key] = str(value)
    text = q.urlencode()
    return f"?{text}" if text else "?"


@register.simple_tag
def sort_key(current: str, column: str) -> str:
    """The sort parameter a column header links to: descending first, then toggling."""
    return column if current == f"-{column}" else f"-{column}"


@register.simple_tag
def sort_mark(current: str, column: str) -> str:
    if current == column:
        return "▲"
    if current == f"-{column}":
        return "▼"
    return ""


@register.filter
def get(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.inclusion_tag("portfolio/_stale.html", takes_context=True)
def stale_notice(context: template.Context, snapshot: Any) -> dict[str, Any]:
    """Say when accounts or deals were changed after ``snapshot`` was computed (its zones do not show those changes yet)."""
    changed = last_change_at() if snapshot is not None else None
    stale = changed is not None and changed > snapshot.created_at
    return {"stale": stale, "changed": changed, "snapshot": snapshot, "nav_is_manager": context.get("nav_is_manager")}
