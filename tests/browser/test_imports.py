"""The import pages in a real browser: upload the Maven pipeline, review the mapping and rows, validate, import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Deal
from tests.browser.conftest import JOB_TIMEOUT_MS, log_in

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = Path("/work/shared/datasets/maven_crm/sales_pipeline.csv")
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.mark.browser
@pytest.mark.skipif(not PIPELINE.exists(), reason="shared data set not found")
def test_a_manager_imports_the_maven_pipeline_through_the_pages(
    page: Page, live_server: LiveServer, manager: User, tmp_path: Path, settings: object
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    log_in(page, live_server.url, "sato")
    page.click("nav.mainnav >> text=Import")
    page.select_option("#id_kind", "deals")
    page.set_input_files("#id_file", str(PIPELINE))
    page.click("[data-testid=import-upload-form] button[type=submit]")
    # the default (generic) mapping does not fit this export: the page says which column is missing
    assert "missing required column" in page.inner_text("[data-testid=import-error]")
    mapping = (ROOT / "docs" / "mappings" / "maven_crm_deals.toml").read_text(encoding="utf-8")
    page.click("[data-testid=mapping-toml] summary")  # the TOML, under the column picker
    page.fill("#mapping_text", mapping)
    page.click("button[value=preview]")
    preview = page.inner_text("[data-testid=import-preview]")
    assert "GTX Pro" in preview  # "GTXPro" mapped to the catalogue name
    page.click("button[value=validate]")
    summary = page.locator("[data-testid=import-summary]").inner_text(timeout=JOB_TIMEOUT_MS)
    assert "7375" in summary.replace(",", "")
    assert "1425" in summary.replace(",", "")
    assert Deal.objects.count() == 0
    if os.environ.get("KOKYAKU_SCREENSHOTS") == "1":
        page.screenshot(path=str(SCREENSHOTS / "import-review-en.png"), full_page=True)
    page.click("button[value=import]")
    page.wait_for_selector("[data-testid=import-done]", timeout=JOB_TIMEOUT_MS)
    assert Deal.objects.count() == 7_375

    # a file with a bad row: refused, nothing written; the import page's history shows both runs
    bad = tmp_path / "nightly.csv"
    bad.write_text(
        "external_id,account,status,opened_on,closed_on,currency\n"
        "N1,Cancity,won,2024-01-01,2024-02-01,YEN\nN2,Cancity,won,2024-01-01,2024-02-01,USD\n"
    )
    page.click("nav.mainnav >> text=Import")
    page.select_option("#id_kind", "deals")
    page.set_input_files("#id_file", str(bad))
    page.click("[data-testid=import-upload-form] button[type=submit]")
    page.click("button[value=import]")
    assert "not an ISO 4217 currency code" in page.locator("[data-testid=import-problems]").inner_text(timeout=JOB_TIMEOUT_MS)
    assert Deal.objects.count() == 7_375

    # then only its good row, the other set aside in a CSV with the reason
    page.click("[data-testid=import-valid]")
    page.wait_for_selector("[data-testid=import-done]", timeout=JOB_TIMEOUT_MS)
    assert Deal.objects.filter(external_id="N2").exists()
    assert not Deal.objects.filter(external_id="N1").exists()
    with page.expect_download() as download_info:
        page.click("[data-testid=rejects-download]")
    download = download_info.value
    assert download.suggested_filename == "nightly-rejects.csv"
    rejected = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "N1,Cancity,won" in rejected
    assert "not an ISO 4217 currency code" in rejected
    page.click("nav.mainnav >> text=Import")
    runs = page.locator("[data-testid=import-run]")
    assert [runs.nth(i).get_attribute("data-outcome") for i in range(runs.count())] == ["imported", "refused", "imported"]
    assert "Rows set aside (CSV)" in runs.nth(0).inner_text()
    assert "7,375" in runs.nth(2).inner_text()
    runs.nth(1).locator("details summary").click()
    assert "row 2, currency YEN: not an ISO 4217 currency code" in runs.nth(1).inner_text()
    if os.environ.get("KOKYAKU_SCREENSHOTS") == "1":
        page.locator("[data-testid=import-history]").screenshot(path=str(SCREENSHOTS / "import-history-en.png"))
