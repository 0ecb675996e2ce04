"""Every form control has an accessible name, in Chromium: a label, aria-label or aria-labelledby.

A screen reader announces an unnamed input as "edit text, blank": the user cannot tell which lost
reason a field or button belongs to. The check reads two things in the real browser: what the page
gives each control (its labels, aria-label, aria-labelledby; a placeholder or title alone does not
count) and the name Chromium's accessibility tree computes for it (through CDP).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import ConversionRate, LostReason
from kokyaku.users.services import api_token_create
from tests.browser.conftest import NewPage, log_in, upload

pytestmark = pytest.mark.browser

CONTROLS = "input:not([type=hidden]), select, textarea, button"

# Per visible control: the name the markup gives it (labels, aria-label, aria-labelledby), else "".
GIVEN_NAMES = """els => els.filter(el => el.getClientRects().length > 0).map(el => {
  const text = n => (n ? n.textContent : '').replace(/\\s+/g, ' ').trim();
  const labelled = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => text(document.getElementById(id))).join(' ').trim();
  const labels = Array.from(el.labels || []).map(text).join(' ').trim();
  const own = el.tagName === 'BUTTON' ? text(el) : '';
  return {
    control: el.outerHTML.slice(0, 160),
    name: (el.getAttribute('aria-label') || '').trim() || labelled || labels || own,
  };
})"""


def given_names(page: Page) -> list[dict[str, str]]:
    """Each visible input, select, textarea and button of the page with the name its markup gives it."""
    result: list[dict[str, str]] = page.locator(CONTROLS).evaluate_all(GIVEN_NAMES)
    return result


def computed_names(page: Page) -> list[dict[str, Any]]:
    """Form controls in Chromium's own accessibility tree, with the name it computed (CDP)."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    roles = {"textbox", "combobox", "listbox", "spinbutton", "checkbox", "radio", "searchbox", "button", "slider"}
    out = []
    for node in nodes:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in roles:
            continue
        out.append({"role": role, "name": str(node.get("name", {}).get("value", "")).strip()})
    return out


def assert_every_control_is_named(page: Page) -> list[str]:
    """Fail with the unnamed controls of the page; return the names (for checks on their wording)."""
    given = given_names(page)
    assert given, "no controls found: wrong page?"
    assert [c["control"] for c in given if not c["name"]] == []
    computed = computed_names(page)
    assert [c for c in computed if not c["name"]] == []
    return [c["name"] for c in given]


@pytest.fixture
def reasons(manager: User) -> list[LostReason]:
    LostReason.objects.all().delete()
    return [
        LostReason.objects.create(code="price", label_ja="価格・予算", label_en="Price / budget", active=True),
        LostReason.objects.create(code="timing", label_ja="時期", label_en="Timing", active=False),
    ]


@pytest.mark.parametrize(
    ("locale", "retire", "use_again"), [("en-US", "Retire", "Use again"), ("ja-JP", "使用を停止", "再び使用")]
)
def test_every_control_on_the_company_settings_page_has_a_name(
    new_page: NewPage, live_server: LiveServer, reasons: list[LostReason], locale: str, retire: str, use_again: str
) -> None:
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    ConversionRate.objects.create(currency="EUR", rate=Decimal("163"))
    page = new_page(locale=locale)
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/settings/company/")
    names = assert_every_control_is_named(page)
    # Each row's button says which reason it acts on (eight "Retire" buttons read out alike otherwise).
    assert any(retire in n and "price" in n for n in names), names
    assert any(use_again in n and "timing" in n for n in names), names
    assert sum(1 for n in names if n.endswith((" USD", " EUR"))) == 2, names  # each rate's remove button names its currency
    assert len(set(names)) == len(names), names  # no two controls read out alike


def test_every_control_on_the_api_tokens_page_has_a_name(page: Page, live_server: LiveServer, manager: User) -> None:
    api_token_create(user=manager, name="laptop")
    api_token_create(user=manager, name="nightly export")
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/tokens/")
    names = assert_every_control_is_named(page)
    revoke = sorted(n for n in names if n.startswith("Revoke"))
    assert [n.split(" kky_")[0] for n in revoke] == ["Revoke laptop", "Revoke nightly export"], names


def test_the_check_catches_an_unnamed_control(page: Page) -> None:
    page.set_content(
        '<label for="a">Code</label><input id="a"><input name="b" placeholder="e.g. no_budget">'
        '<select aria-labelledby="nowhere"><option>x</option></select><button aria-label="Retire price"></button>'
    )
    # The placeholder and a dangling aria-labelledby name nothing.
    assert [c["name"] for c in given_names(page)] == ["Code", "", "", "Retire price"]
    with pytest.raises(AssertionError):
        assert_every_control_is_named(page)


def test_every_control_on_the_targets_page_has_its_own_name(page: Page, live_server: LiveServer, manager: User) -> None:
    log_in(page, live_server.url, "sato")
    page.goto(f"{live_server.url}/portfolio/targets/")
    names = assert_every_control_is_named(page)
    assert {"Period shown", "Target period"} <= set(names), names  # the page's picker and the form's field
    assert len(set(names)) == len(names), names


def test_every_control_of_the_import_column_picker_has_its_own_name(
    page: Page, live_server: LiveServer, manager: User, tmp_path: Path, settings: object
) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    log_in(page, live_server.url, "sato")
    export = tmp_path / "deals.csv"
    export.write_text("id,customer,state,opened\nD1,Fuji Seiki,open,2026-01-05\n", encoding="utf-8")
    upload(page, live_server.url, "deals", export)
    names = assert_every_control_is_named(page)
    assert any(n.startswith("External id") and "external_id" in n for n in names), names  # a picker's drop-down
    assert len(set(names)) == len(names), names


def test_each_money_fields_unit_picker_has_its_own_name(
    page: Page, live_server: LiveServer, manager: User, tmp_path: Path, settings: object
) -> None:
    """Purchases have two money fields (price per unit, line amount): each unit drop-down names its field."""
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    log_in(page, live_server.url, "sato")
    export = tmp_path / "lines.csv"
    export.write_text("伝票,顧客,日付,数量,単価（千円）\nI-1,北陸精機,2024-04-01,2,1500\n", encoding="utf-8")
    upload(page, live_server.url, "purchases", export)
    names = assert_every_control_is_named(page)
    units = [n for n in names if n.startswith("Amounts in")]
    assert len(units) == 2, names
    assert any("unit_price" in n for n in units), units
    assert len(set(names)) == len(names), names
