"""Pages of the prediction app: the model page (managers) and each deal's probability with its reasons."""

from __future__ import annotations

from datetime import date

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.crm.permissions import rep_of
from kokyaku.jobs.services import JobBusy, job_enqueue
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.presenters import band_notes
from kokyaku.prediction import presenters, selectors
from kokyaku.users.decorators import manager_required
from kokyaku.users.roles import is_manager

TOP_DEALS = 25


@manager_required
def model(request: HttpRequest) -> HttpResponse:
    version = selectors.current_version()
    six_months_ago = (pd.Timestamp(timezone.localdate()) - pd.DateOffset(months=6)).date()
    context: dict[str, object] = {"version": version, "backtest_default": six_months_ago}
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
            left_out=presenters.backtest_left_out(report["backtest"]) if report.get("backtest") else None,
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


@manager_required
@require_POST
def backtest(request: HttpRequest) -> HttpResponse:
    """Queue a back-test as of a past date (a background job) and answer at once with its progress page."""
    try:
        as_of = date.fromisoformat(request.POST.get("as_of", ""))
        horizon = int(request.POST.get("horizon_months") or 6)
    except ValueError:
        as_of, horizon = None, 0
    if as_of is None or as_of >= timezone.localdate() or not 1 <= horizon <= 36:
        messages.error(
            request,
            _("The back-test needs a past date (YYYY-MM-DD) and 1 to 36 months of later revenue; got %(as_of)s and %(n)s.")
            % {"as_of": request.POST.get("as_of", "") or "-", "n": request.POST.get("horizon_months", "") or "-"},
        )
        response = model(request)
        response.status_code = 400
        return response
    try:
        job = job_enqueue(actor=request.user, kind="backtest", params={"as_of": as_of.isoformat(), "horizon_months": horizon})
    except JobBusy as exc:
        messages.error(request, exc.message)
        return redirect("jobs:detail", job_id=exc.running.pk)
    return redirect("jobs:detail", job_id=job.pk)
