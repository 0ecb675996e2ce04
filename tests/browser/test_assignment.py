"""Assignment in a real browser, in Japanese: a manager makes a plan, reviews it, excludes one move and
applies it; the developing rep then sees the account handed over, with the reason, on their home page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from pytest_django.live_server_helper import LiveServer

from kokyaku.assignment.models import OwnerChange, Plan, PlanMove
from kokyaku.crm.models import Account, Rep, Team
from tests.browser.conftest import NewPage, log_in


@pytest.mark.browser
def test_a_manager_reviews_excludes_applies_and_the_rep_sees_the_new_account(
    new_page: NewPage, live_server: LiveServer, team: Team, strong_rep: Rep, developing_rep: Rep, manager: User
) -> None:
    Rep.objects.filter(name="Sato Kenji").update(active=False)
    Account.objects.bulk_create(
        [Account(external_id=f"V-{i}", name=f"未来工業 {i}", buyer_type="visionary", owner=strong_rep) for i in range(3)]
        + [Account(external_id=f"P-{i}", name=f"堅実商事 {i}", buyer_type="pragmatist", owner=developing_rep) for i in range(2)]
    )
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "sato")
    page.click("text=担当割当")
    page.click("[data-testid=make-plan]")  # a background job: its progress bar, then a link to the plan
    page.click("[data-testid=job-result-link]", timeout=60_000)
    page.wait_for_selector("[data-testid=plan-status]")
    assert "最適（証明済み）" in page.inner_text("[data-testid=plan-status]")
    assert page.inner_text("[data-testid=plan-fit]").strip() == "100.0%"
    assert "ラウンドロビン" in page.inner_text("section.stats")
    moves = page.inner_text("[data-testid=moves]")
    assert "ビジョナリー：育成中の担当者が共に育つ" in moves
    assert "実利主義者：主力が成約まで担当" in moves
    # exclude the move of 未来工業 0
    page.check("input[aria-label='未来工業 0']")
    page.click("[data-testid=exclude]")
    page.wait_for_selector("text=1 件の移動を変更しました。")
    assert "除外 1 件" in page.inner_text("section.stats")
    page.click("[data-testid=apply-plan]")
    page.wait_for_selector("[data-testid=applied]")
    assert "4 件の顧客の担当者が変わり" in page.inner_text("main")
    plan = Plan.objects.get()
    assert plan.applied_by == manager
    assert Account.objects.get(external_id="V-0").owner_id == strong_rep.pk  # excluded: stayed
    assert Account.objects.get(external_id="V-1").owner_id == developing_rep.pk
    assert OwnerChange.objects.filter(plan=plan).count() == 4
    assert PlanMove.objects.filter(plan=plan, excluded=True).count() == 1

    rep_page = new_page(locale="ja-JP")
    log_in(rep_page, live_server.url, "suzuki")
    handovers = rep_page.inner_text("[data-testid=handovers]")
    assert "あなたに引き継がれた顧客" in handovers
    assert "未来工業 1" in handovers
    assert "未来工業 0" not in handovers
    assert "ビジョナリー：育成中の担当者が共に育つ" in handovers
    assert "Tanaka Hiroshi" in handovers
