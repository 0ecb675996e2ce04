"""Views of the web shell: home, company settings, API tokens. Each validates, calls selectors or one service, renders."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_http_methods, require_POST

from kokyaku.assignment.selectors import handovers_open
from kokyaku.crm import selectors as crm_selectors
from kokyaku.crm.permissions import rep_of
from kokyaku.crm.services import (
    company_settings_update,
    conversion_rate_clear,
    conversion_rate_set,
    lost_reason_create,
    lost_reason_set_active,
)
from kokyaku.followups.views.home import home_followups
from kokyaku.lib.currency import rate_text
from kokyaku.portfolio.views.home import home_panels
from kokyaku.users import services as user_services
from kokyaku.users.decorators import manager_required
from kokyaku.users.selectors import api_token_list
from kokyaku.web.forms import ApiTokenForm, CompanySettingsForm, ConversionRateForm, LostReasonForm
from kokyaku.web.middleware import database_down_answer


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    summary = crm_selectors.home_summary(user=request.user, today=timezone.localdate())
    context = {
        "summary": summary,
        "portfolio": home_panels(request),
        "followups": home_followups(request),
        "handovers": handovers_open(rep_of(request.user)),
    }
    return render(request, "web/home.html", context)


def _settings_form() -> CompanySettingsForm:
    company = crm_selectors.company_settings()
    fields = ("currency", "fiscal_year_start_month", "dormancy_days")
    return CompanySettingsForm(initial={name: getattr(company, name) for name in fields})


def _settings_page(
    request: HttpRequest,
    form: CompanySettingsForm,
    reason_form: LostReasonForm,
    status: int = 200,
    rate_form: ConversionRateForm | None = None,
) -> HttpResponse:
    rates = [{"currency": code, "rate": rate_text(rate)} for code, rate in crm_selectors.conversion_rates().items()]
    context = {
        "form": form, "reason_form": reason_form, "reasons": crm_selectors.lost_reason_list(),
        "rate_form": rate_form or ConversionRateForm(), "rates": rates,
        "company_currency": crm_selectors.company_settings().currency,
    }  # fmt: skip
    return render(request, "web/company_settings.html", context, status=status)


@manager_required
@require_http_methods(["GET", "POST"])
def company_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CompanySettingsForm(request.POST)
        if form.is_valid():
            try:
                company_settings_update(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Company settings saved."))
                return redirect("web:company_settings")
        return _settings_page(request, form, LostReasonForm(), status=400)
    return _settings_page(request, _settings_form(), LostReasonForm())


@manager_required
@require_POST
def conversion_rate(request: HttpRequest) -> HttpResponse:
    """Set a conversion rate, or with ``clear`` remove one; back to the settings page."""
    if request.POST.get("clear"):
        code = request.POST.get("currency", "")
        try:
            removed = conversion_rate_clear(actor=request.user, currency=code)
        except ValidationError:
            removed = False
        if not removed:
            raise Http404(_("No such conversion rate."))
        messages.success(request, _("Conversion rate of %(code)s removed.") % {"code": code.strip().upper()})
        return redirect("web:company_settings")
    rate_form = ConversionRateForm(request.POST)
    if rate_form.is_valid():
        try:
            row = conversion_rate_set(actor=request.user, **rate_form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                rate_form.add_error(field if field in rate_form.fields else None, errors)
        else:
            messages.success(request, _("Conversion rate of %(code)s saved.") % {"code": row.currency})
            return redirect("web:company_settings")
    return _settings_page(request, _settings_form(), LostReasonForm(), status=400, rate_form=rate_form)


@manager_required
@require_POST
def lost_reason_add(request: HttpRequest) -> HttpResponse:
    reason_form = LostReasonForm(request.POST)
    if reason_form.is_valid():
        data = reason_form.cleaned_data
        try:
            lost_reason_create(actor=request.user, code=data["code"], label_ja=data["label_ja"], label_en=data["label_en"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                reason_form.add_error(field if field in reason_form.fields else None, errors)
        else:
            messages.success(request, _("Lost reason added."))
            return redirect("web:company_settings")
    return _settings_page(request, _settings_form(), reason_form, status=400)


@manager_required
@require_POST
def lost_reason_toggle(request: HttpRequest, reason_id: int) -> HttpResponse:
    reason = crm_selectors.lost_reason_get(reason_id=reason_id)
    if reason is None:
        raise Http404(_("No such lost reason."))
    lost_reason_set_active(actor=request.user, reason=reason, active=request.POST.get("active") == "1")
    return redirect("web:company_settings")


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    plain = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _token, plain = user_services.api_token_create(user=user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    # The new token is shown in this response only; it is never stored in a session or a message.
    return render(request, "web/api_tokens.html", {"form": form, "tokens": api_token_list(user=user), "new_token": plain})


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if not user_services.api_token_revoke(user=_user(request), token_id=token_id):
        raise Http404(_("No such token."))
    messages.success(request, _("Token revoked. Programs using it can no longer sign in."))
    return redirect("web:api_tokens")


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: object = None) -> HttpResponse:
    """django-axes' answer to a login while the account or the address is locked out (AXES_LOCKOUT_CALLABLE): 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "web/lockout.html", {"minutes": minutes}, status=429)


def _api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: under /api/ the JSON ``{"detail": ...}`` docs/api.md promises, elsewhere Django's page."""
    if _api_path(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a session that could not be saved because the database went away is its 503, not a 400."""
    return database_down_answer(request, exception) or defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: under /api/ JSON, never an HTML page (nor, with DEBUG off, a traceback); elsewhere Django's page.

    A database outage raised outside a view (in a middleware: the session saved after the view, the
    user read for Cache-Control) is the clear 503 of :mod:`kokyaku.web.middleware`, not a 500.
    """
    exception = sys.exc_info()[1]
    down = database_down_answer(request, exception) if exception is not None else None
    if down is not None:
        return down
    if _api_path(request):
        return JsonResponse({"detail": _("Something went wrong on our side; it has been logged.")}, status=500)
    return defaults.server_error(request)
