"""Company settings: managers change them through a form and a service; reps are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kokyaku.crm.models import CompanySettings, ConversionRate, LostReason, Rep
from kokyaku.crm.services import company_settings_update, conversion_rate_set, lost_reason_create, lost_reason_set_active

pytestmark = pytest.mark.django_db

URL = "/settings/company/"
VALID = {"currency": "USD", "fiscal_year_start_month": "1", "dormancy_days": "180"}


def test_a_rep_is_refused_the_company_settings_page_with_a_styled_403(rep_client: Client) -> None:
    response = rep_client.get(URL)
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this page" in html
    assert 'class="topbar"' in html  # the error page uses the layout


def test_a_rep_cannot_change_settings_by_posting_the_form_either(rep_client: Client) -> None:
    response = rep_client.post(URL, VALID)
    assert response.status_code == 403
    assert CompanySettings.load().currency == "JPY"


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_manager_sees_the_current_settings_and_the_lost_reasons(manager_client: Client) -> None:
    html = manager_client.get(URL).content.decode()
    assert 'value="JPY"' in html
    assert '<option value="4" selected>April</option>' in html
    assert 'value="365"' in html
    assert "価格・予算" in html  # a default lost reason


def test_a_manager_saves_the_settings(manager_client: Client) -> None:
    response = manager_client.post(URL, VALID, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Company settings saved." in response.content.decode()
    company = CompanySettings.load()
    assert (company.currency, company.fiscal_year_start_month, company.dormancy_days) == ("USD", 1, 180)


def test_a_lower_case_currency_code_is_stored_upper_case(manager_client: Client) -> None:
    manager_client.post(URL, {**VALID, "currency": "eur"})
    assert CompanySettings.load().currency == "EUR"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fiscal_year_start_month", "0"),
        ("fiscal_year_start_month", "13"),
        ("fiscal_year_start_month", "April"),
        ("dormancy_days", "0"),
        ("currency", "YEN!"),
        ("currency", "1$3"),
        ("currency", "YEN"),  # three letters, but not ISO 4217: every revenue figure would drop to 0
        ("currency", "ABC"),
    ],
)
def test_an_invalid_value_is_reported_on_its_field_and_nothing_is_saved(manager_client: Client, field: str, value: str) -> None:
    response = manager_client.post(URL, {**VALID, field: value})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    company = CompanySettings.load()
    assert (company.currency, company.fiscal_year_start_month, company.dormancy_days) == ("JPY", 4, 365)


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_is_a_valid_fiscal_year_start(manager: User, month: int) -> None:
    company_settings_update(actor=manager, currency="JPY", fiscal_year_start_month=month, dormancy_days=365)
    assert CompanySettings.load().fiscal_year_start_month == month


def test_the_service_refuses_a_rep(strong_rep: Rep) -> None:
    assert strong_rep.user is not None
    with pytest.raises(PermissionDenied):
        company_settings_update(actor=strong_rep.user, currency="USD", fiscal_year_start_month=1, dormancy_days=30)
    assert CompanySettings.load().currency == "JPY"


def test_the_service_names_every_bad_field_and_saves_none_of_them(manager: User) -> None:
    with pytest.raises(ValidationError) as caught:
        company_settings_update(actor=manager, currency="USD", fiscal_year_start_month=13, dormancy_days=0)
    assert set(caught.value.message_dict) == {"fiscal_year_start_month", "dormancy_days"}
    assert "13" in caught.value.message_dict["fiscal_year_start_month"][0]
    assert CompanySettings.load().currency == "JPY"


def test_a_manager_adds_a_lost_reason_at_the_end_of_the_list(manager_client: Client) -> None:
    response = manager_client.post(
        "/settings/lost-reasons/", {"code": "no_budget_owner", "label_ja": "予算責任者不在", "label_en": "No budget owner"}
    )
    assert response.status_code == 302
    reason = LostReason.objects.get(code="no_budget_owner")
    assert reason.position == max(LostReason.objects.values_list("position", flat=True))
    assert reason.active


def test_a_duplicate_lost_reason_code_is_refused_with_a_message(manager_client: Client) -> None:
    response = manager_client.post("/settings/lost-reasons/", {"code": "price", "label_ja": "価格", "label_en": "Price"})
    assert response.status_code == 400
    assert "code" in response.context["reason_form"].errors
    assert LostReason.objects.filter(code="price").count() == 1


def test_a_currency_typo_is_explained_in_the_page_language(manager_client: Client) -> None:
    response = manager_client.post(URL, {**VALID, "currency": "yen"}, headers={"Accept-Language": "ja"})
    assert response.context["form"].errors["currency"] == ["「YEN」は ISO 4217 の通貨コードではありません（例: JPY、USD、EUR）。"]


def test_a_duplicate_lost_reason_code_reads_naturally_in_japanese(manager_client: Client) -> None:
    response = manager_client.post(
        "/settings/lost-reasons/", {"code": "price", "label_ja": "価格", "label_en": "Price"}, headers={"Accept-Language": "ja"}
    )
    assert response.context["reason_form"].errors["code"] == [
        "このコードはすでに一覧にあります（使用を停止した理由のコードも使えません）。"
    ]


def test_a_rep_cannot_add_or_retire_lost_reasons(rep_client: Client, strong_rep: Rep) -> None:
    price = LostReason.objects.get(code="price")
    assert rep_client.post("/settings/lost-reasons/", {"code": "x", "label_ja": "x", "label_en": "x"}).status_code == 403
    assert rep_client.post(f"/settings/lost-reasons/{price.pk}/active/", {"active": "0"}).status_code == 403
    assert strong_rep.user is not None
    with pytest.raises(PermissionDenied):
        lost_reason_create(actor=strong_rep.user, code="x", label_ja="x", label_en="x")
    with pytest.raises(PermissionDenied):
        lost_reason_set_active(actor=strong_rep.user, reason=price, active=False)
    assert not LostReason.objects.filter(code="x").exists()
    price.refresh_from_db()
    assert price.active


def test_a_manager_retires_a_lost_reason_and_uses_it_again(manager_client: Client) -> None:
    price = LostReason.objects.get(code="price")
    manager_client.post(f"/settings/lost-reasons/{price.pk}/active/", {"active": "0"})
    price.refresh_from_db()
    assert not price.active
    manager_client.post(f"/settings/lost-reasons/{price.pk}/active/", {"active": "1"})
    price.refresh_from_db()
    assert price.active


RATES = "/settings/rates/"


def test_a_manager_saves_a_conversion_rate_and_sees_it_listed(manager_client: Client) -> None:
    response = manager_client.post(RATES, {"currency": "usd", "rate": "151.30"}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    html = response.content.decode()
    assert "Conversion rate of USD saved." in html
    assert "1 USD = 151.3 JPY" in html.split('data-testid="conversion-rates"')[1]
    assert ConversionRate.objects.get().rate == Decimal("151.3")
    manager_client.post(RATES, {"currency": "USD", "rate": "150"})  # replaces it
    assert list(ConversionRate.objects.values_list("currency", "rate")) == [("USD", Decimal("150"))]
    ja = manager_client.get(URL, headers={"Accept-Language": "ja"}).content.decode()
    assert "換算レート" in ja


def test_a_manager_removes_a_conversion_rate(manager_client: Client) -> None:
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    response = manager_client.post(RATES, {"currency": "USD", "clear": "1"}, follow=True)
    assert "Conversion rate of USD removed." in response.content.decode()
    assert not ConversionRate.objects.exists()
    assert manager_client.post(RATES, {"currency": "USD", "clear": "1"}).status_code == 404  # nothing left to remove


@pytest.mark.parametrize(
    ("currency", "rate", "field", "message"),
    [
        ("JPY", "1", "currency", "JPY is the company currency: its amounts need no rate."),
        ("YEN", "151.3", "currency", "use an ISO 4217 currency code such as USD or EUR, not &#x27;YEN&#x27;."),
        ("USD", "0", "rate", "a rate is a number above 0 (units of JPY for one USD), not &#x27;0&#x27;."),
        ("USD", "-1", "rate", "a rate is a number above 0 (units of JPY for one USD), not &#x27;-1&#x27;."),
        ("USD", "cheap", "rate", "Enter a number."),
    ],
)
def test_a_bad_conversion_rate_is_reported_on_its_field(
    manager_client: Client, currency: str, rate: str, field: str, message: str
) -> None:
    response = manager_client.post(RATES, {"currency": currency, "rate": rate})
    assert response.status_code == 400
    assert field in response.context["rate_form"].errors
    assert message in response.content.decode()
    assert not ConversionRate.objects.exists()


def test_a_rep_cannot_set_a_conversion_rate(rep_client: Client, strong_rep: Rep) -> None:
    assert rep_client.post(RATES, {"currency": "USD", "rate": "151.3"}).status_code == 403
    assert strong_rep.user is not None
    with pytest.raises(PermissionDenied):
        conversion_rate_set(actor=strong_rep.user, currency="USD", rate="151.3")
    assert not ConversionRate.objects.exists()


def test_the_company_currency_cannot_change_while_rates_are_in_it(manager_client: Client) -> None:
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    response = manager_client.post(URL, VALID)
    assert response.status_code == 400
    assert "remove them before changing the company currency" in " ".join(response.context["form"].errors["currency"])
    assert CompanySettings.load().currency == "JPY"
    manager_client.post(URL, {**VALID, "currency": "JPY"})  # the other settings still change
    assert CompanySettings.load().dormancy_days == 180
