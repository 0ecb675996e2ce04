"""Shape the portfolio's read models for templates and charts; pure functions of the selectors' records.

Views and the API share the read models themselves (the API serialises the dataclasses as they
are); what is here is what only a page needs: links, heat, chart columns, labels, percentages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from kokyaku.domain.portfolio import BANDS, ZONES, CriteriaSpec, Thresholds
from kokyaku.lib.money import format_money
from kokyaku.portfolio.selectors import ZONE_LABELS, CriteriaPreview, EffortRow, MigrationCounts, Scatter, Targets, TeamMatrix
from kokyaku.portfolio.templatetags.portfolio_tags import pct

# -- the team page ---------------------------------------------------------------------------

# How a snapshot cut each axis (PortfolioResult.band_notes, stored in Snapshot.notes["bands"]).
BAND_CODE_TEXT: dict[str, StrOrPromise] = {
    "ok": gettext_lazy("cut at its intended shares"),
    "ties_broken": gettext_lazy(
        "values tie: the tied accounts were ordered by the other axis, so the bands still cut near their shares"
    ),
    "all_equal": gettext_lazy("every account has the same value, so this axis says nothing: everyone is “mid” on it"),
    "no_values": gettext_lazy("no account has a value on this axis"),
    "absolute": gettext_lazy("absolute thresholds: the shares are what they are"),
}
AXIS_TEXT: dict[str, StrOrPromise] = {"price": gettext_lazy("Unit price"), "probability": gettext_lazy("Win probability")}


def band_notes(notes: dict[str, Any]) -> list[dict[str, Any]]:
    """How each axis of a snapshot was cut, in words, with the shares it reached."""
    return [
        {
            "axis": str(AXIS_TEXT.get(axis, axis)),
            "code": n.get("code"),
            "text": str(BAND_CODE_TEXT.get(str(n.get("code")), n.get("code"))),
            "values": n.get("values"),
            "distinct": n.get("distinct"),
            "tied": n.get("tied"),
            "shares": n.get("shares") or {},
        }
        for axis, n in notes.items()
    ]


def currency_note(notes: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The deals a snapshot read in another currency than the company's (Snapshot.notes["currencies"]), or None.

    ``{"company": "JPY", "count": 2, "list": "GBP 2", "converted_count": 3, "converted": "USD 3 at 151.3"}``,
    largest first: ``count``/``list`` the deals without a rate (counted as stored), ``converted_*``
    those converted at the company's rates. A snapshot from before the rates has only the first.
    """
    found = (notes or {}).get("currencies") or {}
    other: dict[str, int] = found.get("other") or {}
    converted: dict[str, dict[str, Any]] = found.get("converted") or {}
    if not other and not converted:
        return None
    ordered = sorted(other.items(), key=lambda kv: (-kv[1], kv[0]))
    done = sorted(converted.items(), key=lambda kv: (-int(kv[1].get("deals", 0)), kv[0]))
    return {
        "company": found.get("company", ""),
        "count": sum(other.values()),
        "list": " · ".join(f"{code} {n:,}" for code, n in ordered),
        "converted_count": sum(int(c.get("deals", 0)) for _code, c in done),
        "converted": " · ".join(f"{code} {int(c.get('deals', 0)):,} × {c.get('rate')}" for code, c in done),
    }


def unusual_band_notes(notes: dict[str, Any]) -> list[dict[str, Any]]:
    """The axes a snapshot could not cut plainly (ties broken, all equal, no values): the team page says why."""
    return [n for n in band_notes(notes) if n["code"] in ("ties_broken", "all_equal", "no_values")]


def matrix_rows(
    snapshot_id: int, matrix: TeamMatrix, base_url: str, *, owner_id: int | None = None, cutoffs: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Rows of the heatmap: each cell with its heat (0-1 share of the fullest cell) and the link to its accounts
    (of one rep when ``owner_id`` is given)."""
    top = max((c.accounts for row in matrix.cells for c in row), default=0) or 1
    owner = {"owner": owner_id} if owner_id is not None else {}
    rows = []
    for band, row in zip(BANDS, matrix.cells, strict=True):
        cells = []
        for cell in row:
            bands = {"price_band": cell.price_band, "probability_band": cell.probability_band}
            query = urlencode({"snapshot": snapshot_id, **owner, **bands})
            cells.append({"cell": cell, "heat": round(cell.accounts / top, 3), "url": f"{base_url}?{query}"})
        rows.append({"band": band, "cells": cells, "cutoff": (cutoffs or {}).get(band, "")})
    return rows


def scatter_chart(scatter: Scatter, currency: str) -> dict[str, Any]:
    """The scatter's JSON: columns per zone (smaller than one object per point), thresholds and labels."""
    by_zone: dict[str, dict[str, list[Any]]] = {z: {"x": [], "y": [], "id": [], "name": [], "owner": [], "ev": []} for z in ZONES}
    for p in scatter.points:
        if p.unit_price <= 0 or p.zone not in by_zone:
            continue  # a log axis cannot show zero
        col = by_zone[p.zone]
        col["x"].append(p.unit_price)
        col["y"].append(round(p.win_probability * 100, 2))
        col["id"].append(p.account_id)
        col["name"].append(p.name)
        col["owner"].append(p.owner or "")
        col["ev"].append(round(p.expected_value))
    labels = {
        "x": _("Unit price (log scale)"),
        "y": _("Win probability (%)"),
        "zone": _("Zone"),
        "price": _("Unit price"),
        "probability": _("Win probability"),
        "ev": _("Expected value"),
    }
    return {
        "zones": by_zone, "thresholds": dict(scatter.thresholds or {}), "total": scatter.total, "sampled": scatter.sampled,
        "labels": labels, "currency": currency,
    }  # fmt: skip


# -- the review page -------------------------------------------------------------------------


def migration_rows(migration: MigrationCounts, base: dict[str, int]) -> list[dict[str, Any]]:
    """The from × to table: per from-zone its cells (count and the link to their accounts) and its total."""
    rows = []
    for f in ZONE_LABELS:
        cells = [
            {
                "to": t,
                "n": migration.counts[f][t],
                "url": "?" + urlencode({**base, "from": f or "none", "to": t or "none"}) + "#cell",
            }
            for t in ZONE_LABELS
        ]
        rows.append({"from": f, "cells": cells, "total": sum(migration.counts[f].values())})
    return rows


def sankey_flows(migration: MigrationCounts) -> list[dict[str, Any]]:
    """The flows as charts.js's Sankey reads them."""
    return [{"from": f.from_zone, "to": f.to_zone, "accounts": f.accounts} for f in migration.flows()]


# -- the criteria page -----------------------------------------------------------------------


def percentile(q: float) -> str:
    """A quantile as a percentile: ``1/3`` -> "33rd percentile" (Japanese: "33パーセンタイル")."""
    x = float(q) * 100
    whole = round(x)
    if abs(x - whole) <= 0.35:  # 33.33 reads as the 33rd percentile
        n = str(whole)
        if (get_language() or "en").startswith("en"):
            suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
            n = f"{whole}{suffix}"
    else:
        n = f"{x:.1f}"
    return _("%(n)s percentile") % {"n": n}


def cutoff_cells(spec: CriteriaSpec, cut: Thresholds, currency: str) -> dict[str, list[dict[str, str]]]:
    """Per axis, the low and high cut: how it is set (a percentile, or fixed) and the value it gives."""
    out: dict[str, list[dict[str, str]]] = {}
    language = get_language() or "en"
    for axis, rule, values in (
        ("price", spec.price, (cut.price_low, cut.price_high)),
        ("probability", spec.probability, (cut.probability_low, cut.probability_high)),
    ):
        cells = []
        for q, value in zip((rule.low, rule.high), values, strict=True):
            if not math.isfinite(value):
                shown = "—"
            else:
                shown = format_money(value, currency, language=language) if axis == "price" else pct(value, 1)
            cells.append({"rule": percentile(q) if rule.mode == "quantile" else _("fixed"), "value": shown})
        out[axis] = cells
    return out


def preview_context(preview: CriteriaPreview, spec: CriteriaSpec, currency: str) -> dict[str, Any]:
    """The criteria preview: the moves table, how many move, and each cut-off now and with the change."""
    now = cutoff_cells(preview.snapshot.criteria.to_spec(), preview.now, currency)
    new = cutoff_cells(spec, preview.new, currency)
    cutoffs = [
        {
            "axis": axis, "end": end, "now": now[axis][i], "new": new[axis][i], "changed": now[axis][i] != new[axis][i],
            "now_estimated": axis in preview.now_estimated, "new_estimated": axis in preview.new_estimated,
        }
        for axis in ("price", "probability")
        for i, end in enumerate(("low", "high"))
    ]  # fmt: skip
    rows = [{"from": f, "cells": [{"to": t, "n": preview.moves[f][t], "stay": f == t} for t in ZONE_LABELS]} for f in ZONE_LABELS]
    return {
        "snapshot": preview.snapshot, "cutoffs": cutoffs, "rows": rows, "moved": preview.moved, "total": preview.total,
        "zones": ZONE_LABELS, "sample": preview.sample, "step": preview.step,
        "cutoffs_estimated": bool(preview.now_estimated or preview.new_estimated),
    }  # fmt: skip


# -- effort vs return ----------------------------------------------------------------------------


@dataclass
class EffortRep:
    """One rep's line of the effort table: per zone (A, B, C, unzoned) hours, revenue and revenue per hour."""

    rep_id: int | None
    rep: str
    cells: list[EffortRow | None]
    hours: float = 0.0
    revenue: float = 0.0

    @property
    def rph(self) -> float | None:
        return self.revenue / self.hours if self.hours > 0 else None


def effort_reps(per_rep: list[EffortRow], listed: list[tuple[int | None, str]] | None = None) -> list[EffortRep]:
    """Pivot the per-rep rows into one line per rep, a cell per zone.

    ``listed``: the reps to show, in order (id, name; None: no rep), each with a line even without
    rows; by default the reps of the rows, by name, no rep last.
    """
    reps: dict[int | None, EffortRep] = {}
    for rep_id, name in listed or []:
        reps[rep_id] = EffortRep(rep_id, name or _("No rep"), [None] * len(ZONE_LABELS))
    for r in per_rep:
        entry = reps.setdefault(r.rep_id, EffortRep(r.rep_id, r.rep or _("No rep"), [None] * len(ZONE_LABELS)))
        entry.cells[ZONE_LABELS.index(r.zone)] = r
        entry.hours += r.hours
        entry.revenue += r.revenue
    if listed is not None:
        return [reps[rep_id] for rep_id, _name in listed]
    return sorted(reps.values(), key=lambda e: (e.rep_id is None, e.rep))


def effort_totals(team: list[EffortRow]) -> dict[str, float | None]:
    hours, revenue = sum(r.hours for r in team), sum(r.revenue for r in team)
    return {"hours": hours, "revenue": revenue, "rph": revenue / hours if hours else None}


def effort_chart(team: list[EffortRow], currency: str) -> dict[str, Any]:
    """Shares of time and of revenue per zone, and revenue per hour, for charts.js."""
    return {
        "zones": [r.zone or _("Unzoned") for r in team],
        "effort_share": [round(r.effort_share * 100, 2) for r in team],
        "revenue_share": [round(r.revenue_share * 100, 2) for r in team],
        "rph": [round(r.revenue_per_hour) if r.revenue_per_hour is not None else None for r in team],
        "labels": {
            "effort": _("Share of time spent (%)"),
            "revenue": _("Share of won revenue (%)"),
            "rph": _("Revenue per hour"),
            "share": _("Share (%)"),
        },
        "currency": currency,
    }


# -- targets -------------------------------------------------------------------------------------


def yomi_chart(targets: Targets, currency: str) -> dict[str, Any]:
    """Per rep the stacked ヨミ (won, + ヨミA, + ヨミB) and the target, for charts.js."""
    reps = targets.reps
    return {
        "reps": [r.rep for r in reps],
        "target": [r.target for r in reps],
        "won": [r.yomi_won for r in reps],
        "high": [r.yomi_high - r.yomi_won for r in reps],
        "mid": [r.yomi_mid - r.yomi_high for r in reps],
        "labels": {
            "won": _("Won (確定)"),
            "high": _("+ high probability (ヨミA)"),
            "mid": _("+ mid probability (ヨミB)"),
            "target": _("Target"),
        },
        "currency": currency,
    }


def band_cutoffs(
    thresholds: Mapping[str, float | None] | None, currency: str, *, notes: Mapping[str, Any] | None = None
) -> dict[str, dict[str, str]]:
    """The numbers behind "high / mid / low" on each axis, from a snapshot's resolved thresholds.

    ``{"price": {"high": "≥ ¥3,000,000", "mid": "¥300,000 – ¥3,000,000", "low": "< ¥300,000"},
    "probability": {...}}``; an axis without numbers (no values) maps to empty strings. With the
    snapshot's band ``notes`` (``Snapshot.notes["bands"]``), an axis whose values were all equal
    shows that one value on mid, where everyone is (``"= 0.0%"``), not "≥ 0.0%" and "< 0.0%".
    """
    language = get_language() or "en"

    def axis(name: str, low: float | None, high: float | None, shown: Callable[[float], str]) -> dict[str, str]:
        if low is None or high is None:
            return dict.fromkeys(BANDS, "")
        if ((notes or {}).get(name) or {}).get("code") == "all_equal":
            return {"high": "", "mid": f"= {shown(low)}", "low": ""}
        return {"high": f"≥ {shown(high)}", "mid": f"{shown(low)} – {shown(high)}", "low": f"< {shown(low)}"}

    t = dict(thresholds or {})
    return {
        "price": axis("price", t.get("price_low"), t.get("price_high"), lambda v: format_money(v, currency, language=language)),
        "probability": axis("probability", t.get("probability_low"), t.get("probability_high"), lambda v: f"{v * 100:.1f}%"),
    }


def unzoned_reason(unit_price: object, win_probability: object, *, lookback_months: int) -> str:
    """Why an account has no zone, in the reader's language: no amount in the look-back, no probability, or both."""
    no_price, no_probability = unit_price is None, win_probability is None
    price = _("no won or open deal with an amount in the last %(months)s months (the unit price look-back)") % {
        "months": lookback_months
    }
    probability = _("no probability (no open deal with one, no stage in the stage table, no purchase history)")
    if no_price and no_probability:
        return _("Unzoned: %(price)s, and %(probability)s.") % {"price": price, "probability": probability}
    if no_price:
        return _("Unzoned: %(reason)s.") % {"reason": price}
    if no_probability:
        return _("Unzoned: %(reason)s.") % {"reason": probability}
    return ""
