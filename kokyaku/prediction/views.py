"""Pages of the prediction app: the model page (managers) and each deal's probability with its reasons."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kokyaku.crm.permissions import rep_of
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.presenters import band_notes
from kokyaku.prediction import presenters, selectors
from kokyaku.users.decorators import manager_required
from kokyaku.users.roles import is_manager

TOP_DEALS = 25


@manager_required
def model(request: HttpRequest) -> HttpResponse:
    version = selectors.current_version()
    context: dict[str, object] = {"version": version}
    if version is not None:
        report = version.report
        deal, repeat = report.get("deal") or {}, report.get("repeat") or {}
        snapshot = Snapshot.objects.order_by("-as_of", "-created_at", "-id").first()
        serving = deal.get("serving") if deal.get("serving") == "model" else None
        context.update(
            deal=deal,
            repeat=repeat,
            deal_reason=presenters.reason_text(str(deal.get("reason"))),
            repeat_reason=presenters.reason_text(str(repeat.get("reason"))),
            deal_rows=presenters.metric_rows(deal),
            repeat_rows=presenters.metric_rows(repeat),
            deciles=(deal.get("deciles") or {}).get("model", []),
            repeat_deciles=(repeat.get("deciles") or {}).get("model", []),
            importance=presenters.importance_rows(deal),
            charts={
                "deal": presenters.reliability_chart(deal),
                "repeat": presenters.reliability_chart(repeat),
                "backtest": presenters.backtest_chart(report["backtest"]) if report.get("backtest") else None,
            },
            backtest=report.get("backtest"),
            versus=presenters.backtest_versus(report["backtest"]) if report.get("backtest") else None,
            serving=serving,
            snapshot=snapshot,
            band_notes=band_notes((snapshot.notes or {}).get("bands", {})) if snapshot else [],
            predictions=[(p, presenters.explanations(p.reasons)) for p in selectors.deal_predictions(version, limit=TOP_DEALS)],
        )
    return render(request, "prediction/model.html", context)


@login_required
def account_deals(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account's open deals with their probability and reasons (a fragment the account page loads)."""
    version = selectors.current_version()
    rows = []
    if version is not None:
        rep = rep_of(request.user)
        owner = None if is_manager(request.user) else (rep.pk if rep else -1)
        rows = [
            (p, presenters.explanations(p.reasons))
            for p in selectors.deal_predictions(version, account_id=account_id, owner_id=owner)
        ]
    return render(request, "prediction/_deal_predictions.html", {"version": version, "predictions": rows})
