"""Downloads in Chromium: a Japanese manager filters the accounts, downloads them and opens the file with openpyxl."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.portfolio.models import SnapshotRow
from tests.browser.conftest import NewPage, log_in
from tests.portfolio.pages_demo import PASSWORD, load_demo

pytestmark = pytest.mark.browser


def test_a_japanese_manager_downloads_the_filtered_accounts_as_xlsx_and_csv(
    new_page: NewPage, live_server: LiveServer, transactional_db: None, tmp_path: Path
) -> None:
    demo = load_demo()
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/accounts/")
    page.get_by_label("ゾーン", exact=True).select_option("A")
    expect(page).to_have_url(re.compile(r"/portfolio/accounts/\?.*zone=A"))
    links = page.get_by_test_id("export")
    expect(links.get_by_test_id("export-xlsx")).to_have_attribute("href", re.compile(r"zone=A"))  # HTMX swapped the links too

    with page.expect_download() as info:
        links.get_by_role("link", name="Excel（.xlsx）").click()
    download = info.value
    assert download.suggested_filename == f"kokyaku-accounts-{demo.after.as_of}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wb = load_workbook(path)
    sheet = wb["取引先"]
    header = [c.value for c in sheet[2]]
    assert header[:8] == ["取引先コード", "取引先", "担当者", "ゾーン", "取引単価", "受注確率", "確率の出所", "期待値"]
    body = list(sheet.iter_rows(min_row=3))
    zone_a = SnapshotRow.objects.filter(snapshot=demo.after, zone="A").count()
    assert len(body) == zone_a > 0
    assert {r[3].value for r in body} == {"A"}
    priced = next(r for r in body if r[4].value is not None)
    assert priced[4].number_format == priced[7].number_format == '"¥"#,##0;-"¥"#,##0'
    assert priced[5].number_format == "0.0%"
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:L{zone_a + 2}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.column_dimensions["B"].width > 12

    with page.expect_download() as info:
        links.get_by_role("link", name="CSV（Shift_JIS）").click()
    rows = list(csv.reader(io.StringIO(info.value.path().read_bytes().decode("cp932"))))
    assert rows[0][:4] == ["取引先コード", "取引先", "担当者", "ゾーン"]
    assert len(rows) - 1 == zone_a
