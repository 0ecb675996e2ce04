"""Words for the prediction app's codes: reasons, sources, features; and the page's tables and chart data.

How a snapshot cut its bands is worded by ``kokyaku.portfolio.presenters.band_notes`` (the team page shows it too).
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kokyaku.crm.models import Account, Rep

# Why a model serves or not (kokyaku.domain.prediction.REASONS), in plain words.
REASON_TEXT: dict[str, StrOrPromise] = {
    "model_beats_base_rate": _(
        "On the newer closed deals the model's Brier score is better than the base rate's, so it feeds the portfolio."
    ),
    "model_not_better_than_base_rate": _(
        "On the newer closed deals the model is no better than the base rate (Brier score): "
        "the history holds no signal it can use, so the portfolio keeps the rep's number, "
        "the stage table or the purchase history."
    ),
    "too_few_closed_deals": _(
        "Too few closed deals to learn from (at least 40 are needed): the portfolio keeps its other sources."
    ),
    "one_outcome_only": _("Every case had the same outcome, so there is nothing to rank: the portfolio keeps its other sources."),
    "one_outcome_in_a_split": _(
        "The older or the newer deals all had the same outcome, so the model cannot be tested: "
        "the portfolio keeps its other sources."
    ),
    "no_time_split": _("Too few newer closed deals to test the model on: the portfolio keeps its other sources."),
    "model_beats_history": _(
        "For “buys in the next quarter” the repeat-purchase model's log loss beats the quarter share's, "
        "so it gives customers with purchases and nothing open their probability."
    ),
    "model_not_better_than_history": _(
        "The repeat-purchase model does not beat the quarter share (log loss) on the last quarter: the quarter share stays."
    ),
    "too_few_customers": _("Too few customers with purchases (at least 20 are needed): the quarter share stays."),
}

# Candidates and baselines of the report.
SOURCE_TEXT: dict[str, StrOrPromise] = {
    "model": _("Model"),
    "base_rate": _("Base rate"),
    "naive_bayes": _("Naive Bayes (Odoo-style)"),
    "stage": _("Stage table"),
    "rep": _("Rep's number"),
    "history": _("Quarter share (history)"),
}

FEATURE_TEXT: dict[str, StrOrPromise] = {
    "amount_log": _("Amount"),
    "employees_log": _("Employees"),
    "revenue_log": _("Annual revenue"),
    "age_days": _("Deal age (days)"),
    "activities": _("Activities"),
    "minutes": _("Minutes spent"),
    "account_won": _("Account's past wins"),
    "account_lost": _("Account's past losses"),
    "product": _("Product"),
    "industry": _("Industry"),
    "region": _("Region"),
    "buyer_type": _("Buyer type"),
    "owner": _("Rep"),
    "tier": _("Rep tier"),
    "stage": _("Stage"),
}


def reason_text(code: str) -> str:
    return str(REASON_TEXT.get(code, code))


def feature_text(code: str) -> str:
    return str(FEATURE_TEXT.get(code, code))


# Category values that are codes of the CRM's choices, shown with their label.
VALUE_LABELS: dict[str, dict[str, StrOrPromise]] = {
    "tier": dict(Rep.Tier.choices),
    "buyer_type": dict(Account.BuyerType.choices),
}


def _value(feature: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if feature in VALUE_LABELS:
        return str(VALUE_LABELS[feature].get(str(value), value))
    if feature.endswith("_log") and isinstance(value, int | float):
        return f"{math.expm1(value):,.0f}"  # the features hold log(1 + x): show x
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return str(value)


def explanations(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deal's reasons in the reader's language: feature, value, and a signed effect in points."""
    return [
        {
            "feature": feature_text(r["feature"]),
            "value": _value(r["feature"], r.get("value")),
            "effect": float(r.get("effect") or 0.0),
            "up": float(r.get("effect") or 0.0) > 0,
        }
        for r in reasons
    ]


def metric_rows(part: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's metrics as table rows, the serving source first."""
    rows = []
    for name, m in (part.get("metrics") or {}).items():
        rows.append({"code": name, "name": str(SOURCE_TEXT.get(name, name)), **m, "serving": name == part.get("serving")})
    return rows


def reliability_chart(part: dict[str, Any]) -> dict[str, Any]:
    """The reliability diagram's data: per source, the mean predicted and actual rate per decile."""
    series = []
    for name, table in (part.get("deciles") or {}).items():
        series.append(
            {
                "name": str(SOURCE_TEXT.get(name, name)),
                "predicted": [r.get("predicted") for r in table],
                "actual": [r.get("actual") for r in table],
                "n": [r.get("n") for r in table],
            }
        )
    return {
        "series": series,
        "x_title": str(_("Predicted probability")),
        "y_title": str(_("Actual rate")),
        "ideal": str(_("Perfect calibration")),
    }


def importance_rows(part: dict[str, Any], top: int = 10) -> list[dict[str, Any]]:
    rows = part.get("importance") or []
    peak = max((float(r.get("importance") or 0.0) for r in rows), default=0.0) or 1.0
    return [
        {"feature": feature_text(str(r["feature"])), "importance": float(r.get("importance") or 0.0),
         "width": max(0.0, float(r.get("importance") or 0.0)) / peak * 100}
        for r in rows[:top]
    ]  # fmt: skip


def backtest_left_out(result: dict[str, Any]) -> dict[str, Any] | None:
    """The later won deals a back-test left out for want of a conversion rate: ``{"count": 3, "list": "GBP 2 · EUR 1"}``."""
    left: dict[str, int] = result.get("left_out") or {}
    if not left:
        return None
    return {"count": sum(left.values()), "list": " · ".join(f"{code} {n:,}" for code, n in left.items())}


def backtest_versus(result: dict[str, Any]) -> dict[str, Any] | None:
    """Zone A against the same number of top-priced accounts, in percent, for the page's verdict line.

    None for a back-test stored before the comparison existed or without a zone A.
    """
    versus = result.get("versus_price") or {}
    ratio, interval = versus.get("same_size"), versus.get("same_size_interval")
    if ratio is None or not interval:
        return None
    return {
        "verdict": versus.get("verdict"),
        "accounts": versus.get("a_accounts"),
        "pct": round((float(ratio) - 1) * 100),
        "low": round((float(interval[0]) - 1) * 100),
        "high": round((float(interval[1]) - 1) * 100),
    }


def backtest_chart(result: dict[str, Any]) -> dict[str, Any]:
    """Revenue per account per zone: the portfolio's zones against unit price alone."""
    zones = ("A", "B", "C")

    def per(block: dict[str, Any]) -> list[float | None]:
        return [block["zones"][z]["per_account"] for z in zones]

    return {
        "zones": list(zones),
        "series": [
            {"name": str(_("Kokyaku's zones")), "values": per(result)},
            {"name": str(_("Unit price alone")), "values": per(result["price_only"])},
        ],
        "y_title": str(_("Later revenue per account")),
    }
