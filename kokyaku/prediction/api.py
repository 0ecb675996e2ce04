"""Prediction routes: the current model's report and each open deal's probability with its reasons.

Mounted by ``kokyaku/api/urls.py``. Every role that reads the portfolio reads the model's report
(the same numbers its page shows); predictions: managers see every deal, a rep the deals they own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from kokyaku.crm.permissions import rep_of
from kokyaku.lib.api import ONE_ERRORS, ErrorOut
from kokyaku.prediction import presenters, selectors
from kokyaku.prediction.models import ModelVersion
from kokyaku.users.roles import is_manager

router = Router(tags=["prediction"])


def _need_read(request: HttpRequest) -> None:
    if not request.user.has_perm("crm.view_account"):
        raise PermissionDenied(_("Your role does not allow reading the portfolio."))


def _version() -> ModelVersion:
    version = selectors.current_version()
    if version is None:
        raise HttpError(404, _("No model has been trained yet: run kokyaku train."))
    return version


class ModelOut(Schema):
    version: int
    as_of: date
    trained_at: datetime
    data_from: date | None
    data_to: date | None
    closed_deals: int
    customers: int
    deal_serving: str
    deal_reason: str
    deal_reason_text: str
    repeat_serving: str
    repeat_reason: str
    repeat_reason_text: str
    report: dict[str, Any]


class ReasonOut(Schema):
    feature: str
    feature_label: str
    value: Any
    effect: float


class PredictionOut(Schema):
    deal_id: int
    account_id: int
    owner_id: int | None
    probability: float
    reasons: list[ReasonOut]
    version: int


@router.get("/prediction/model", response={200: ModelOut, **ONE_ERRORS}, summary="The current model and its report")
def model_current(request: HttpRequest) -> ModelOut:
    """The newest model version: when and on what it was trained, which source serves and why, and the
    metrics of every candidate and baseline (`report`, as `kokyaku evaluate --json` writes it)."""
    _need_read(request)
    v = _version()
    return ModelOut(
        version=v.pk, as_of=v.as_of, trained_at=v.trained_at, data_from=v.data_from, data_to=v.data_to,
        closed_deals=v.closed_deals, customers=v.customers,
        deal_serving=v.deal_serving, deal_reason=v.deal_reason, deal_reason_text=presenters.reason_text(v.deal_reason),
        repeat_serving=v.repeat_serving, repeat_reason=v.repeat_reason,
        repeat_reason_text=presenters.reason_text(v.repeat_reason),
        report=v.report,
    )  # fmt: skip


class PredictionFilter(Schema):
    account: int | None = None
    limit: int = 100
    offset: int = 0


@router.get(
    "/prediction/deals", response={200: list[PredictionOut], **ONE_ERRORS, 400: ErrorOut}, summary="Open deals' probabilities"
)
def deal_predictions(request: HttpRequest, filters: Query[PredictionFilter]) -> list[PredictionOut]:
    """Each open deal's probability from the current model, with the three features that moved it most
    (`effect`: probability points, positive raises the chance). Highest probability first; a rep sees the deals they own."""
    _need_read(request)
    if not 1 <= filters.limit <= 500 or filters.offset < 0:
        raise HttpError(400, _("limit must be 1–500 and offset 0 or more."))
    v = _version()
    rep = rep_of(request.user)
    owner = None if is_manager(request.user) else (rep.pk if rep else -1)
    rows = selectors.deal_predictions(v, account_id=filters.account, owner_id=owner, limit=filters.limit, offset=filters.offset)
    return [
        PredictionOut(
            deal_id=p.deal_id, account_id=p.account_id, owner_id=p.owner_id, probability=p.probability, version=p.version_id,
            reasons=[ReasonOut(feature=r["feature"], feature_label=presenters.feature_text(r["feature"]), value=r.get("value"),
                               effect=float(r.get("effect") or 0.0)) for r in p.reasons],
        )
        for p in rows
    ]  # fmt: skip
