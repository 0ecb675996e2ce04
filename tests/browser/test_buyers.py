"""Buyer types in Chromium, in Japanese: the checklist, the key-person map, an objection search and the type counts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.buyers.models import KeyPerson, TypeDecision
from kokyaku.buyers.services import suggestions_compute
from tests.browser.conftest import NewPage, log_in
from tests.portfolio.pages_demo import AS_OF, PASSWORD, load_demo

pytestmark = pytest.mark.browser


def test_a_rep_types_an_account_maps_its_key_persons_and_finds_an_objection_in_japanese(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    demo = load_demo()
    suggestions_compute(actor=None, as_of=AS_OF)
    account = demo.rep_account
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "rep", PASSWORD)

    # from the account page to its buyer page
    page.goto(f"{live_server.url}/portfolio/accounts/{account.pk}/")
    page.get_by_test_id("buyers-link").click()
    expect(page.get_by_test_id("buyers-account")).to_contain_text(account.name)

    # the checklist: the article's pragmatist traits, in Japanese; saved and confirmed
    checklist = page.get_by_test_id("checklist")
    checklist.get_by_label("比較検討が好きなので、すぐには買わない").check()
    checklist.get_by_label("価格に対してシビア(費用対効果を必ず判断基準にする)").check()
    checklist.get_by_role("button", name="保存してタイプを確定").click()
    expect(page.get_by_test_id("current-type")).to_have_text("実利主義者")
    expect(page.get_by_test_id("type-audit")).to_contain_text("rep")
    expect(page.get_by_test_id("checklist-score")).to_contain_text("確信度 100%")
    decision = TypeDecision.objects.get(account=account)
    assert (decision.buyer_type, decision.source, decision.set_by.username if decision.set_by else "") == (
        "pragmatist",
        "checklist",
        "rep",
    )

    # a key person on the map: influence 5, supporter
    page.get_by_text("キーマンを追加", exact=True).first.click()
    form = page.get_by_test_id("key-person-form")
    form.locator("#id_name").fill("山田 太郎")
    form.locator("#id_role").select_option("decision_maker")
    form.locator("#id_influence").fill("5")
    form.locator("#id_stance").select_option("supporter")
    form.get_by_role("button", name="キーマンを追加").click()
    expect(page.get_by_test_id("key-person-list")).to_contain_text("意思決定者")
    cell = page.get_by_test_id("key-person-map").locator("tbody tr").nth(0).locator("td").nth(2)
    expect(cell).to_contain_text("山田 太郎")
    assert KeyPerson.objects.filter(account=account, name="山田 太郎", influence=5, stance="supporter").exists()

    # an objection logged here is found by the team's Japanese search
    page.get_by_text("懐疑客の声を記録", exact=True).click()
    objection = page.get_by_test_id("objection-form")
    objection.locator("#id_date").fill("2026-11-10")
    objection.locator("#id_tags").fill("effect")
    objection.locator("#id_said").fill("稼働率が上がる根拠が知りたい")
    objection.get_by_role("button", name="記録する").click()
    page.get_by_role("link", name="チームの懐疑客の声").click()
    search = page.get_by_test_id("objection-search")
    search.locator("#id_q").fill("稼働率 根拠")
    search.get_by_role("button", name="検索").click()
    results = page.get_by_test_id("objection-results")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("稼働率が上がる根拠が知りたい")

    # the team's counts per type: the rep's row counts the pragmatist just confirmed
    page.get_by_role("link", name="購買タイプ", exact=True).click()
    by_rep = page.get_by_test_id("counts-by-rep")
    expect(by_rep).to_contain_text(demo.rep.name)
    expect(page.get_by_test_id("measurement")).to_contain_text("単純な代替案")
