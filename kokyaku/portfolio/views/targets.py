"""Targets (予実管理): per rep target, won, weighted pipeline, ヨミ and gap for a period; managers set targets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokyaku.crm import services as crm_services
from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.portfolio import presenters, selectors
from kokyaku.portfolio.forms import TargetForm, error_lines
from kokyaku.portfolio.periods import Period, fiscal_periods, fiscal_year_of, period_of, period_parse
from kokyaku.portfolio.selectors.rows import Page, paging
from kokyaku.portfolio.views.common import page_param
from kokyaku.users.decorators import manager_required
from kokyaku.users.roles import is_manager


def _period(request: HttpRequest, start_month: int, today: date) -> Period:
    """The period asked for (``?period=FY2026-Q1``), else this month."""
    try:
        return period_parse(request.GET.get("period") or "", start_month=start_month)
    except ValueError:
        return period_of(today, kind="month", start_month=start_month)


REPS_PER_PAGE = 50


def targets_of(
    period: Period,
    *,
    rep_ids: list[int] | None = None,
    accounts_per_rep: int = 10,
    reps_slice: slice | None = None,
    largest_gaps: int | None = None,
    rep_search: str = "",
    currency: str | None = None,
    rates: Mapping[str, Decimal] | None = None,
) -> selectors.Targets:
    """The 予実 of a period (the targets page, the home page's panels); ``currency``, ``rates``: the company's, if known."""
    return selectors.targets_view(
        start=period.start,
        end=period.end,
        rep_ids=rep_ids,
        accounts_per_rep=accounts_per_rep,
        reps_slice=reps_slice,
        largest_gaps=largest_gaps,
        rep_search=rep_search,
        currency=currency,
        rates=rates,
    )


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    company, today = company_settings(), timezone.localdate()
    period = _period(request, company.fiscal_year_start_month, today)
    fy = fiscal_year_of(period.start, company.fiscal_year_start_month)
    # A page of reps (the team's figures count them all): a sales organisation of 15,000 reps is not one table.
    # ?rep= narrows the table to the reps whose name contains it; the team's figures stay the whole team's.
    asked, search = page_param(request, "reps_page"), (request.GET.get("rep") or "").replace("\x00", "").strip()[:100]
    money: dict[str, Any] = {"currency": company.currency, "rates": conversion_rates()}
    data = targets_of(period, reps_slice=slice((asked - 1) * REPS_PER_PAGE, asked * REPS_PER_PAGE), rep_search=search, **money)
    page, per_page, first = paging(data.reps_total, asked, REPS_PER_PAGE)
    if page != asked:  # past the last page: the last one
        data = targets_of(period, reps_slice=slice(first, first + per_page), rep_search=search, **money)
    manager = is_manager(request.user)
    context = {
        "reps": data.reps, "reps_page": Page(data.reps, data.reps_total, page, per_page), "params": request.GET,
        "rep_search": search, "team": data.team, "high_pct": data.high_pct, "mid_pct": data.mid_pct, "period": period,
        "open_deal_dates": selectors.open_deal_dates(today=today),
        "periods": [p for y in (fy - 1, fy, fy + 1) for p in fiscal_periods(y, start_month=company.fiscal_year_start_month)],
        "chart": presenters.yomi_chart(data, company.currency), "currency": company.currency, "is_manager": manager,
        "form": TargetForm(initial={"period": period.key}) if manager else None,
    }  # fmt: skip
    return render(request, "portfolio/targets.html", context)


@manager_required
@require_POST
def target_set(request: HttpRequest) -> HttpResponse:
    form, back = TargetForm(request.POST), reverse("portfolio:targets")
    errors = error_lines(form, colon=True)
    if errors:
        messages.error(request, " ".join(errors))
        return redirect(back)
    d = form.cleaned_data
    try:
        period = period_parse(d["period"], start_month=company_settings().fiscal_year_start_month)
        crm_services.target_set(
            actor=request.user, rep=d["rep"], period_start=period.start, period_end=period.end, amount=d["amount"]
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Target for %(rep)s, %(period)s saved.") % {"rep": d["rep"].name, "period": period.key})
    return redirect(f"{back}?{urlencode({'period': period.key})}")
