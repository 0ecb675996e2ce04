"""The retention page and its API endpoint: managers only, the company's curve or the classic one standing in."""

from __future__ import annotations

import pytest
from django.test import Client

from kokyaku.crm.models import Account
from kokyaku.web.templatetags.kokyaku import estimate

pytestmark = pytest.mark.django_db
URL = "/retention/?as_of=2026-06-30"


def test_the_manager_sees_the_curves_the_cohorts_and_the_forecast(history: list[Account], manager_client: Client) -> None:
    response = manager_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for testid in ("retention-curves", "retention-yearly", "retention-quarterly", "retention-forecast", "retention-curve-table"):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="retention-fallback"' not in html
    assert "Projection for your company" in html  # the sBG trace's label in the chart data
    assert "plotly/plotly-cartesian.min.js" in html
    assert "retention/retention.js" in html
    assert 'href="/retention/"' in html  # the nav link
    assert response.context["record"].model == "sbg"
    assert [f.years for f in response.context["forecast"]] == [1, 2, 3]


def test_a_short_history_shows_the_classic_curve_standing_in_in_japanese(
    short_history: list[Account], manager_client: Client
) -> None:
    response = manager_client.get(URL, HTTP_ACCEPT_LANGUAGE="ja")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="retention-fallback"' in html
    assert "古典的な定着曲線" in html  # "the classic curve stands in", in Japanese
    assert "顧客定着率" in html
    assert "Projection for your company" not in html


def test_reps_may_not_see_it(history: list[Account], rep_client: Client) -> None:
    assert rep_client.get(URL).status_code == 403
    assert rep_client.get("/api/retention").status_code == 403
    assert 'href="/retention/"' not in rep_client.get("/").content.decode()


def test_a_bad_day_is_refused_with_the_field_named(history: list[Account], manager_client: Client) -> None:
    response = manager_client.get("/retention/?as_of=2026-02-30")
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_the_api_returns_the_record(history: list[Account], manager_client: Client) -> None:
    response = manager_client.get("/api/retention?as_of=2026-06-30")
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "sbg"
    assert body["customers"] == 80
    assert body["as_of"] == "2026-06-30"
    assert [p["classic"] for p in body["points"]] == [1.0, 0.5, 0.275, 0.165]
    assert len(body["series"]["years"]) == 37
    assert body["quarterly"]["rows"]
    assert manager_client.get("/api/retention?as_of=June").status_code == 422


def test_the_fitted_alpha_and_beta_are_rounded_to_three_figures(history: list[Account], manager_client: Client) -> None:
    """The fixture's fit is α 385.77..., β 972.97...: the page wrote "α 385.774, β 972.971" (floatformat:3)."""
    response = manager_client.get(URL)
    assert 385 < response.context["record"].alpha < 386  # the fixture still gives this fit
    assert "fitted on quarters: α 386, β 973" in response.content.decode()
    assert "四半期単位で推定：α 386、β 973" in manager_client.get(URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (8103.084, "8,103"),  # the search bound e^9: thousands separated, no decimals
        (12345.678, "12,346"),
        (385.774, "386"),
        (4.5, "4.50"),
        (9.996, "10.0"),
        (0.27, "0.270"),
        (0.0921, "0.0921"),
        (0.000123, "0.000123"),  # e^-9: floatformat:3 wrote 0.000
        (0.0, "0"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_estimate_writes_three_significant_figures_with_separators(value: float | None, shown: str) -> None:
    assert estimate(value) == shown
