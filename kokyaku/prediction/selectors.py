"""Reads of the prediction app: the CRM as the models see it, stored versions and deal predictions.

:func:`crm_frames` loads everything dated up to a day in five bulk queries (deals, accounts,
activities, reps, and nothing per account); the domain core does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db import connection

from kokyaku.crm.models import Deal
from kokyaku.domain.prediction import CrmFrames
from kokyaku.lib.bulk import read_frame
from kokyaku.lib.currency import converted_sql
from kokyaku.portfolio.services import sql_days
from kokyaku.prediction.models import DealPrediction, ModelVersion


def _dates(values: pd.Series) -> pd.Series:
    """Whole days since 1970-01-01 (NULL as NaN) -> datetime64 (NaT)."""
    return pd.to_datetime(pd.to_numeric(values, errors="coerce"), unit="D")


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "")


def crm_frames(as_of: date) -> CrmFrames:
    """Return the team's records dated up to ``as_of`` in the domain's frames (five queries)."""
    deals = read_frame(
        "SELECT id, account_id, owner_id, product, status, amount, probability, stage, "  # noqa: S608 - fixed SQL, the date is a bound parameter
        f"{sql_days('opened_on')}, {sql_days('closed_on')} FROM crm_deal WHERE opened_on <= %s ORDER BY id",
        [as_of],
        ["deal_id", "account_id", "owner_id", "product", "status", "amount", "probability", "stage", "opened_on", "closed_on"],
    )
    for col in ("amount", "probability", "owner_id"):
        deals[col] = pd.to_numeric(deals[col], errors="coerce").astype(float)
    for col in ("product", "stage", "status"):
        deals[col] = _text(deals[col])
    for col in ("opened_on", "closed_on"):
        deals[col] = _dates(deals[col])
    accounts = read_frame(
        "SELECT id, industry, region, employees, annual_revenue, buyer_type FROM crm_account ORDER BY id",
        [],
        ["account_id", "industry", "region", "employees", "annual_revenue", "buyer_type"],
    )
    for col in ("employees", "annual_revenue"):
        accounts[col] = pd.to_numeric(accounts[col], errors="coerce").astype(float)
    for col in ("industry", "region", "buyer_type"):
        accounts[col] = _text(accounts[col])
    day = "CAST(occurred_at AS DATE)" if connection.vendor == "postgresql" else "occurred_at"
    activities = read_frame(
        f"SELECT account_id, {sql_days(day)}, minutes FROM crm_activity WHERE occurred_at < %s",  # noqa: S608 - fixed SQL
        [as_of + timedelta(days=1)],
        ["account_id", "occurred_on", "minutes"],
    )
    activities["occurred_on"] = _dates(activities["occurred_on"])
    activities["minutes"] = pd.to_numeric(activities["minutes"], errors="coerce").fillna(0).astype(float)
    reps = read_frame("SELECT id, tier, team_id FROM crm_rep ORDER BY id", [], ["rep_id", "tier", "team_id"])
    reps["tier"] = _text(reps["tier"])
    return CrmFrames(deals, accounts=accounts, activities=activities, reps=reps)


def later_deals(start: date, end: date, *, company: str, rates: Mapping[str, Decimal]) -> pd.DataFrame:
    """Won deals closed from ``start`` to ``end``: the outcome a back-test compares the zones with.

    Amounts in the company currency ``company``, as Home and the targets count them: a deal in a
    currency of ``rates`` converted by the database (:func:`kokyaku.lib.currency.converted_sql`),
    one in a currency without a rate read with no amount (NULL: NaN), its ``currency`` saying why
    (:func:`kokyaku.prediction.services.portfolio_backtest` counts and leaves them out).
    """
    amount, params = converted_sql(rates, company)
    frame = read_frame(
        f"SELECT account_id, status, {amount}, {sql_days('closed_on')}, currency FROM crm_deal "  # noqa: S608 - fixed SQL, values are bound
        "WHERE status = %s AND closed_on >= %s AND closed_on <= %s",
        [*params, Deal.Status.WON, start, end],
        ["account_id", "status", "amount", "closed_on", "currency"],
    )
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").astype(float)
    frame["closed_on"] = _dates(frame["closed_on"])
    return frame


def version_as_of(as_of: date) -> ModelVersion | None:
    """The newest model version trained on data up to ``as_of`` or earlier (never one that saw later data)."""
    return ModelVersion.objects.filter(as_of__lte=as_of).order_by("-as_of", "-trained_at", "-id").first()


def current_version() -> ModelVersion | None:
    """The newest model version (by the date of its data, then when it was trained)."""
    return ModelVersion.objects.order_by("-as_of", "-trained_at", "-id").defer("deal_payload", "repeat_payload").first()


@dataclass(frozen=True)
class Prediction:
    """One open deal's probability and its reasons, as a page or the API shows them."""

    deal_id: int
    deal_name: str
    account_id: int
    account_name: str
    owner_id: int | None
    amount: float | None
    probability: float
    reasons: list[dict[str, Any]]
    version_id: int


def deal_predictions(
    version: ModelVersion,
    *,
    account_id: int | None = None,
    owner_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Prediction]:
    """The stored predictions of a version (one query), highest probability first."""
    qs = DealPrediction.objects.filter(version=version).select_related("deal", "deal__account")
    if account_id is not None:
        qs = qs.filter(deal__account_id=account_id)
    if owner_id is not None:
        qs = qs.filter(deal__owner_id=owner_id)
    qs = qs.order_by("-probability", "deal_id")
    rows = qs[offset : offset + limit] if limit is not None else qs[offset:]
    return [
        Prediction(
            deal_id=p.deal_id,
            deal_name=p.deal.name or p.deal.external_id,
            account_id=p.deal.account_id,
            account_name=p.deal.account.name,
            owner_id=p.deal.owner_id,
            amount=float(p.deal.amount) if p.deal.amount is not None else None,
            probability=p.probability,
            reasons=list(p.reasons),
            version_id=version.pk,
        )
        for p in rows
    ]
