"""The duplicates page in a real browser, in Japanese: a manager reviews one customer written four ways and merges it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account, Deal
from kokyaku.imports.models import NameMerge
from tests.browser.conftest import NewPage, log_in

NAMES = ["株式会社ABC商事", "株式会社ＡＢＣ商事", "(株)ABC商事", "㈱ABC商事"]


@pytest.mark.browser
def test_a_manager_reviews_and_merges_one_customer_written_four_ways(
    new_page: NewPage, live_server: LiveServer, manager: User
) -> None:
    accounts = [Account.objects.create(external_id=f"ACC-{i}", name=n) for i, n in enumerate(NAMES)]
    for i, account in enumerate(accounts):
        for j in range(2 if i == 0 else 1):
            Deal.objects.create(
                external_id=f"D-{i}-{j}", account=account, amount=Decimal(1000), status=Deal.Status.OPEN,
                opened_on=date(2026, 4, 1),
            )  # fmt: skip
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/imports/")
    page.click("a[href='/imports/duplicates/']")
    assert page.inner_text("h1") == "名寄せ（重複した名前）"
    group = page.locator("[data-testid=duplicates-account] [data-testid=duplicate-group]")
    assert group.count() == 1
    text = group.inner_text()
    assert all(name in text for name in NAMES)
    # the record with the most deals is ticked to keep; the manager leaves ㈱ABC商事 out of this merge
    assert group.locator("input[name=keep]").first.is_checked()
    group.get_by_label("統合 ㈱ABC商事").uncheck()
    with page.expect_navigation(wait_until="load"):
        group.get_by_role("button", name="統合").click()
    assert "2 件のレコードを 株式会社ABC商事 に統合しました" in page.inner_text("body")
    assert sorted(Account.objects.values_list("name", flat=True)) == ["㈱ABC商事", "株式会社ABC商事"]
    assert Deal.objects.filter(account=accounts[0]).count() == 4
    assert NameMerge.objects.get().kept_id == accounts[0].pk
    history = page.inner_text("[data-testid=merge-history]")
    assert "株式会社ＡＢＣ商事" in history
    assert "(株)ABC商事" in history
    # the one left out is still listed for review
    assert "㈱ABC商事" in page.inner_text("[data-testid=duplicates-account]")
