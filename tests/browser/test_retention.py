"""The retention page in Chromium, in Japanese: the curves side by side, the cohort heatmaps, the classic curve standing in."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import Min
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Deal
from tests.browser.conftest import NewPage, log_in
from tests.portfolio.pages_demo import AS_OF, PASSWORD, load_demo

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _trace_names(page: object, element: str) -> list[str]:
    return page.evaluate(f"document.getElementById('{element}').data.map(t => t.name || '')")  # type: ignore[attr-defined,no-any-return]


def test_a_manager_reads_the_retention_page_in_japanese(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    load_demo()
    page = new_page(locale="ja-JP", width=1280, height=1500)
    log_in(page, live_server.url, "manager", PASSWORD)
    page.get_by_role("link", name="顧客定着率").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("顧客定着率")
    page.goto(f"{live_server.url}/retention/?as_of={AS_OF.isoformat()}")
    expect(page.locator("#retention-curves .main-svg").first).to_be_attached()
    expect(page.locator("#retention-quarterly .main-svg").first).to_be_attached()
    expect(page.locator("#retention-yearly .main-svg").first).to_be_attached()
    expect(page.get_by_test_id("retention-fallback")).to_have_count(0)
    names = _trace_names(page, "retention-curves")
    assert "古典的な定着曲線（50% → 55% → 60%）" in names
    assert "実測（カプラン・マイヤー）" in names
    assert "自社の予測（シフト・ベータ幾何モデル）" in names
    classic = page.evaluate("document.getElementById('retention-curves').data.find(t => (t.name || '').startsWith('古典')).y")
    assert classic[0] == 100
    assert classic[12] == 50
    assert round(classic[24], 1) == 27.5
    assert round(classic[36], 1) == 16.5
    heat = page.evaluate("document.getElementById('retention-quarterly').data[0]")
    assert heat["type"] == "heatmap"
    assert len(heat["y"]) >= 4
    assert heat["z"][0][0] == 100  # every cohort bought in its own first quarter
    for chart in ("retention-quarterly", "retention-yearly"):  # each label fits its cell ("100%" overflowed)
        fit = page.evaluate(
            f"""(() => {{ const d = document.getElementById('{chart}');
              const labels = Array.from(d.querySelectorAll('.heatmaplayer text')).filter(t => t.textContent);
              return {{cell: d._fullLayout.xaxis._length / d.data[0].x.length, n: labels.length, rows: d.data[0].y.length,
                       widest: Math.max(...labels.map(t => t.getBBox().width))}}; }})()"""
        )
        assert fit["n"] >= fit["rows"] - 1, (chart, fit)  # a label per cohort at least (the newest may have none yet)
        assert fit["widest"] < fit["cell"] - 2, (chart, fit)
    assert page.evaluate("document.getElementById('retention-yearly').data[0].text[0][0]") == "100%"
    forecast = page.get_by_test_id("retention-forecast")
    expect(forecast).to_contain_text("1 年後")
    expect(forecast).to_contain_text("3 年後")
    expect(forecast).to_contain_text("￥")
    if os.environ.get("KOKYAKU_SCREENSHOTS") == "1":  # refreshes the docs' picture on request only
        page.screenshot(path=str(SCREENSHOTS / "retention-ja.png"), full_page=True)


def test_too_short_a_history_shows_the_classic_curve_standing_in(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    load_demo()
    first = Deal.objects.filter(status=Deal.Status.WON).aggregate(first=Min("closed_on"))["first"]
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/retention/?as_of={(first + timedelta(days=200)).isoformat()}")
    expect(page.get_by_test_id("retention-fallback")).to_contain_text("古典的な定着曲線で代用しています")
    expect(page.locator("#retention-curves .main-svg").first).to_be_attached()
    names = _trace_names(page, "retention-curves")
    assert "自社の予測（シフト・ベータ幾何モデル）" not in names
    assert "古典的な定着曲線（50% → 55% → 60%）" in names
