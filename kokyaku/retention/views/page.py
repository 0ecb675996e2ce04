"""The retention page: the classic curve beside the company's own, the cohort heatmaps and the forecast."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kokyaku.retention import presenters, selectors
from kokyaku.retention.forms import AsOfForm
from kokyaku.users.decorators import manager_required


@manager_required
def retention(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = AsOfForm(request.GET if "as_of" in request.GET else None, initial={"as_of": today})
    as_of = today
    status = 200
    if form.is_bound:
        if form.is_valid():
            as_of = form.cleaned_data["as_of"] or today
        else:
            status = 400
    record = selectors.retention_report(as_of)
    context = {
        "record": record, "form": form, "reason": presenters.reason_text(record),
        "forecast": presenters.forecast_lines(record), "currency": record.currency,
        "curves": presenters.curve_chart(record),
        "yearly": presenters.cohort_chart(record.yearly), "quarterly": presenters.cohort_chart(record.quarterly),
    }  # fmt: skip
    return render(request, "retention/retention.html", context, status=status)
