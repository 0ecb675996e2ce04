"""The import pages in Japanese, in a real browser: a bad file's problems are explained in Japanese."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Deal
from kokyaku.imports.models import SavedMapping
from tests.browser.conftest import JOB_TIMEOUT_MS, NewPage, log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

BAD_DEALS = (
    "external_id,account,owner,name,amount,stage,status,opened_on,closed_on\n"
    "D1,A1,Tanaka,Deal 1,1000,Won,won,2024-01-01,2024-02-01\n"
    "D2,A1,Tanaka,Deal 2,1000,Won,won,2024-01-01,2024/13/01\n"
)


@pytest.mark.browser
def test_a_manager_in_japanese_sees_the_problems_of_a_bad_file_in_japanese(
    new_page: NewPage, live_server: LiveServer, manager: User, tmp_path: Path, settings: object
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    page = new_page(locale="ja-JP")  # Accept-Language: ja
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/imports/")
    assert "汎用（Kokyaku の列名）" in page.inner_text("#id_mapping")
    page.select_option("#id_kind", "deals")
    bad = tmp_path / "deals.csv"
    bad.write_text(BAD_DEALS, encoding="utf-8")
    page.set_input_files("#id_file", str(bad))
    page.click("[data-testid=import-upload-form] button[type=submit]")
    # the preview: fields by their Japanese names, the code beside them; the bad row's problem in Japanese
    headers = page.inner_text("[data-testid=import-preview] thead")
    assert "外部ID" in headers
    assert "external_id" in headers
    assert "日付として読めません" in page.inner_text("[data-testid=preview-problems]")
    page.click("button[value=validate]")
    error = page.locator("[data-testid=import-error]").inner_text(timeout=JOB_TIMEOUT_MS)
    assert "何も書き込まれていません。" in error
    assert "問題が 1 件見つかりました。" in error
    problems = page.inner_text("[data-testid=import-problems]")
    assert "2024/13/01" in problems
    assert "closed_on" in problems
    assert "日付として読めません（ISO 8601 の形式、例: 2026-04-01）" in problems
    assert "not a date" not in problems
    assert Deal.objects.count() == 0


JAPANESE_EXPORT = (
    "商談ID,顧客,担当,状態,開始日,完了日,金額\n"
    "J-1,北陸精機,山田,won,2024-04-01,2024-05-10,1200000\n"
    "J-2,北陸精機,山田,open,2024-04-03,,300000\n"
)


@pytest.mark.browser
def test_a_manager_maps_a_japanese_export_with_the_column_picker_only(
    new_page: NewPage, live_server: LiveServer, manager: User, tmp_path: Path, settings: object
) -> None:
    """No TOML: each field's file column is picked from a list, the preview follows, the import writes it."""
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_kind", "deals")
    export = tmp_path / "案件一覧.csv"
    export.write_bytes(JAPANESE_EXPORT.encode("cp932"))  # as Japanese Excel saves it
    page.set_input_files("#id_file", str(export))
    with page.expect_navigation(wait_until="load"):  # picker.js listens once loaded; a pick before would go unseen
        page.click("[data-testid=import-upload-form] button[type=submit]")
    assert "必須の列" in page.inner_text("[data-testid=import-error]")  # the generic names are not in this file
    assert not page.is_visible("#mapping_text")  # the TOML waits under its summary
    picks = {"external_id": "商談ID", "account": "顧客", "owner": "担当", "status": "状態", "opened_on": "開始日",
             "closed_on": "完了日", "amount": "金額"}  # fmt: skip
    for field, column in picks.items():
        page.select_option(f"[data-testid=column-picker] select[name=column__{field}]", column)
    # the picked column's first value shows at once, before the preview is updated
    assert page.inner_text("[data-testid=column-picker] tr[data-field=account] [data-example-of-pick]") == "北陸精機"
    if os.environ.get("KOKYAKU_SCREENSHOTS") == "1":
        page.locator("[data-testid=column-picker]").screenshot(path=str(SCREENSHOTS / "import-picker-ja.png"))
    page.click("button[value=preview]")
    assert "北陸精機" in page.inner_text("[data-testid=import-preview]")
    assert page.input_value("[data-testid=column-picker] select[name=column__external_id]") == "商談ID"
    assert page.inner_text("[data-testid=column-picker] tr[data-field=external_id] [data-example-of-pick]") == "J-1"
    page.click("[data-testid=mapping-toml] summary")
    assert 'external_id = "商談ID"' in page.input_value("#mapping_text")  # the TOML followed the picks
    page.fill("#save_as", "anken_export")  # kept for next week's file
    page.click("button[value=save_mapping]")
    assert "anken_export" in page.inner_text(".messages, [role=status], body")
    assert SavedMapping.objects.filter(kind="deals", name="anken_export").exists()
    page.click("button[value=import]")
    page.wait_for_selector("[data-testid=import-done]")
    deals = sorted(Deal.objects.values_list("external_id", "status", "owner__name"))
    assert deals == [("J-1", "won", "山田"), ("J-2", "open", "山田")]
