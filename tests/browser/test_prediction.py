"""The model page in Chromium, in Japanese: the decision and why, the metrics, the reliability diagrams; and a
rep's deal probabilities on the account page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.prediction.models import DealPrediction
from kokyaku.prediction.services import model_train, portfolio_backtest, version_store_backtest
from tests.browser.conftest import NewPage, log_in
from tests.portfolio.pages_demo import AS_OF, BEFORE, PASSWORD, load_demo

pytestmark = pytest.mark.browser


def test_a_manager_reads_the_model_page_in_japanese(new_page: NewPage, live_server: LiveServer, transactional_db: None) -> None:
    load_demo()
    early = model_train(actor=None, as_of=BEFORE)
    version_store_backtest(actor=None, version=early, result=portfolio_backtest(as_of=BEFORE, horizon_months=2))
    version = model_train(actor=None, as_of=AS_OF)
    version_store_backtest(actor=None, version=version, result=portfolio_backtest(as_of=BEFORE, horizon_months=2))
    outside: list[str] = []
    page = new_page(locale="ja-JP")
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/")
    page.get_by_role("link", name="確率モデル").click()
    expect(page.get_by_role("heading", name="確率モデル", level=1)).to_be_visible()
    decision = page.get_by_test_id("deal-decision")
    expect(decision).to_contain_text("モデルを採用しています。")
    expect(decision).to_contain_text("ブライアスコアが全体の受注率より良い")
    metrics = page.get_by_test_id("deal-metrics")
    expect(metrics).to_contain_text("ナイーブベイズ（Odoo 方式）")
    expect(metrics.locator("tr.is-serving")).to_contain_text("モデル")
    expect(page.get_by_test_id("repeat-decision")).to_contain_text("四半期購入率")
    expect(page.locator("#deal-reliability .main-svg").first).to_be_attached()  # Plotly drew from the local file
    expect(page.locator("#repeat-reliability .main-svg").first).to_be_attached()
    expect(page.locator("#backtest-chart .main-svg").first).to_be_attached()
    expect(page.get_by_test_id("backtest-verdict")).to_contain_text(
        "単価の高い順に同じ数"
    )  # zone A against price alone, said plainly
    expect(page.get_by_test_id("deal-deciles").locator("tbody tr")).to_have_count(10)
    expect(page.get_by_test_id("importance").locator("tbody tr").first).not_to_contain_text("学んだことはありません")
    expect(page.get_by_test_id("top-predictions")).to_contain_text("%")
    expect(page.get_by_test_id("band-notes")).to_contain_text("単価")
    assert "Brier score" not in page.content()
    assert outside == [], f"requests left the server: {outside[:3]}"


def test_a_rep_sees_their_deals_probability_and_reasons_on_the_account_page(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    demo = load_demo()
    version = model_train(actor=None, as_of=AS_OF)
    mine = DealPrediction.objects.filter(version=version, deal__owner=demo.rep).select_related("deal").first()
    assert mine is not None
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "rep", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/accounts/{mine.deal.account_id}/")
    predictions = page.get_by_test_id("deal-predictions")  # loaded through HTMX
    expect(predictions).to_contain_text(f"{round(mine.probability * 100)}%")
    expect(predictions).to_contain_text("確率を最も動かした要因")
