"""The small things that erode trust: filter labels in the reader's language, criteria a rep can read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.portfolio.pages_demo import Demo, demo_client

pytestmark = pytest.mark.django_db


def test_the_zone_filter_reads_japanese(demo: Demo) -> None:
    html = demo_client("rep").get(reverse("portfolio:accounts"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<option value="A">Aゾーン</option>' in html
    assert "Zone A</option>" not in html


def test_a_rep_reads_the_criteria_in_use_instead_of_a_403(demo: Demo) -> None:
    client = demo_client("rep")
    team = client.get(reverse("portfolio:team"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("portfolio:criteria_read")}" data-testid="criteria-link"' in team
    page = client.get(reverse("portfolio:criteria_read"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    high = demo.after.thresholds["probability_high"]
    assert f"≥ {high * 100:.1f}%" in html
    assert 'name="price_low"' not in html  # nothing to edit
    assert client.get(reverse("portfolio:criteria")).status_code == 403  # the editing page stays the managers'
    manager_team = demo_client("manager").get(reverse("portfolio:team")).content.decode()
    assert f'href="{reverse("portfolio:criteria")}" data-testid="criteria-link"' in manager_team
