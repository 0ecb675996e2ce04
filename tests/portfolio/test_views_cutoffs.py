"""Zones a manager can trust at a glance: the cut-offs next to band labels, and why an account is unzoned."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kokyaku.crm.models import Account
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.presenters import band_cutoffs, unzoned_reason
from tests.portfolio.pages_demo import Demo, demo_client

pytestmark = pytest.mark.django_db


def test_band_cutoffs_read_as_money_and_percent() -> None:
    thresholds = {"price_low": 300000.0, "price_high": 3000000.0, "probability_low": 0.1, "probability_high": 0.204}
    with translation.override("ja"):
        cut = band_cutoffs(thresholds, "JPY")
    assert cut["price"] == {"high": "≥ ￥3,000,000", "mid": "￥300,000 – ￥3,000,000", "low": "< ￥300,000"}  # Japanese yen sign
    assert cut["probability"] == {"high": "≥ 20.4%", "mid": "10.0% – 20.4%", "low": "< 10.0%"}
    assert band_cutoffs({"price_low": None, "price_high": None}, "JPY")["price"] == {"high": "", "mid": "", "low": ""}


def test_unzoned_reason_names_what_is_missing() -> None:
    with translation.override("en"):
        assert "last 24 months" in unzoned_reason(None, 0.4, lookback_months=24)
        assert "probability" not in unzoned_reason(None, 0.4, lookback_months=24).split("look-back")[1]
        assert unzoned_reason(1000, None, lookback_months=24).startswith("Unzoned: no probability")
        both = unzoned_reason(None, None, lookback_months=12)
        assert "last 12 months" in both
        assert "no probability" in both
        assert unzoned_reason(1000, 0.4, lookback_months=24) == ""


def test_the_matrix_and_the_account_page_show_the_cutoffs_and_the_unzoned_reason(demo: Demo) -> None:
    client = demo_client("manager")
    high = demo.after.thresholds["probability_high"]
    team = client.get(reverse("portfolio:team"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"≥ {high * 100:.1f}%" in team
    assert 'data-testid="cutoff-price-high"' in team
    zoned = SnapshotRow.objects.filter(snapshot=demo.after).exclude(zone="").first()
    assert zoned is not None
    page = client.get(reverse("portfolio:account", args=[zoned.account_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="cutoff"') == 2
    unpriced = SnapshotRow.objects.filter(snapshot=demo.after, zone="", unit_price__isnull=True).first()
    assert unpriced is not None
    page = client.get(reverse("portfolio:account", args=[unpriced.account_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="unzoned-reason"' in page
    assert f"in the last {demo.after.criteria.lookback_months} months" in page
    assert Account.objects.filter(pk=unpriced.account_id).exists()


def test_an_axis_whose_values_are_all_equal_shows_the_value_not_three_empty_ranges() -> None:
    """Every account at probability 0 (an old data set): the matrix read "High ≥ 0.0%", "Mid 0.0% – 0.0%"
    and "Low < 0.0%" (a probability below zero). The axis shows the one value, on Mid where everyone is."""
    thresholds = {"price_low": 203.0, "price_high": 354.0, "probability_low": 0.0, "probability_high": 0.0}
    notes = {"price": {"code": "ok"}, "probability": {"code": "all_equal"}}
    with translation.override("en"):
        cut = band_cutoffs(thresholds, "GBP", notes=notes)
    assert cut["probability"] == {"high": "", "mid": "= 0.0%", "low": ""}
    assert cut["price"] == {"high": "≥ £354.00", "mid": "£203.00 – £354.00", "low": "< £203.00"}
