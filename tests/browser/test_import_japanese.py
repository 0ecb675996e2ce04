"""A Japanese workbook as it is kept, imported through the web picker in a real browser (Japanese UI)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import User
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account, Deal
from tests.browser.conftest import NewPage, log_in

HEADER = ["商談名", "取引先名", "商談 所有者", "金額", "フェーズ", "確度 (%)", "作成日", "完了予定日"]


def japanese_workbook(path: Path) -> Path:
    """Two sheets; on the second a title above the header, an account merged over two deals, yen as
    text with full-width digits, an era date, and a total row."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "商談一覧"
    book.create_sheet("メモ")["A1"] = "4月の商談"
    ws["A1"] = "商談一覧 2024年4月"
    ws.append(HEADER)  # row 2
    ws.append(
        ["新規導入", "株式会社北陸精機", "山田 太郎", "￥１，２００，０００", "成立", 100, date(2024, 4, 1), "令和6年5月10日"]
    )
    ws.append(["保守", None, "山田 太郎", 300000, "提案/見積", "60%", date(2024, 4, 3), date(2024, 6, 30)])
    ws.merge_cells("B3:B4")
    ws.append(["合計", None, None, 1500000])
    book.save(path)
    return path


@pytest.mark.browser
def test_a_manager_imports_a_japanese_workbook_through_the_picker(
    new_page: NewPage, live_server: LiveServer, manager: User, tmp_path: Path, settings: object
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_kind", "deals")
    book = japanese_workbook(tmp_path / "商談一覧.xlsx")
    page.set_input_files("#id_file", str(book))
    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=import-upload-form] button[type=submit]")
    # the generic mapping's names are not in this file, but the picker matched the Japanese headers by itself
    assert "必須の列" in page.inner_text("[data-testid=import-error]")
    picked = {
        f: page.input_value(f"[data-testid=column-picker] select[name=column__{f}]")
        for f in ("name", "account", "amount", "closed_on", "stage", "probability", "opened_on")
    }
    assert picked == {"name": "商談名", "account": "取引先名", "amount": "金額", "closed_on": "完了予定日",
                      "stage": "フェーズ", "probability": "確度 (%)", "opened_on": "作成日"}  # fmt: skip
    assert page.locator("[data-testid=column-picker] [data-guessed]").count() >= 7
    # what no header can say: the report has no id, and its phases are the deal's status
    if not page.is_visible("#mapping_text"):
        page.click("[data-testid=mapping-toml] summary")
    page.fill(
        "#mapping_text",
        'kind = "deals"\n[file]\nsheet = "商談一覧"\n[columns]\nexternal_id = "{取引先名} / {商談名}"\n'
        'status = "フェーズ"\n[values.status]\n"成立" = "won"\n"提案/見積" = "open"\n',
    )
    page.click("button[value=preview]")  # the guesses go into the TOML with it, and the preview follows
    preview = page.inner_text("[data-testid=import-preview]")
    assert "株式会社北陸精機" in preview
    assert "1,200,000" in preview
    assert "見出しは 2 行目" in page.inner_text("[data-testid=preview-notes]")
    page.click("button[value=import]")
    page.wait_for_selector("[data-testid=import-done]")
    deals = {d.name: d for d in Deal.objects.all()}
    assert set(deals) == {"新規導入", "保守"}
    assert deals["新規導入"].amount == 1_200_000
    assert deals["新規導入"].closed_on == date(2024, 5, 10)
    assert deals["保守"].probability == 60
    assert deals["保守"].account_id == deals["新規導入"].account_id
    account = Account.objects.get(name="株式会社北陸精機")
    assert account.owner is not None
    assert account.owner.name == "山田 太郎"
    # the done page says what to do next and does it
    assert "スナップショット" in page.inner_text("[data-testid=import-next]")
    page.click("[data-testid=import-compute-snapshot]")  # a snapshot job: its progress page, then the result
    page.wait_for_selector("[data-testid=job-result]", timeout=60_000)
    page.goto(page.url.split("/jobs/")[0] + "/portfolio/accounts/")
    assert "株式会社北陸精機" in page.inner_text("main")
