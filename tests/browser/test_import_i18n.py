"""The import pages in Japanese, in a real browser: a bad file's problems are explained in Japanese."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Deal
from tests.browser.conftest import NewPage, log_in

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
    error = page.inner_text("[data-testid=import-error]")
    assert "何も書き込まれていません。" in error
    assert "問題が 1 件見つかりました。" in error
    problems = page.inner_text("[data-testid=import-problems]")
    assert "2024/13/01" in problems
    assert "closed_on" in problems
    assert "日付として読めません（ISO 8601 の形式、例: 2026-04-01）" in problems
    assert "not a date" not in problems
    assert Deal.objects.count() == 0
