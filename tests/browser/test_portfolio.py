"""The portfolio in Chromium: from the team matrix to an account and its zone history; charts draw offline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import FloatRect, Page, expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Rep
from kokyaku.portfolio.models import Criteria, Snapshot, SnapshotRow
from kokyaku.portfolio.selectors import team_matrix
from tests.browser.conftest import NewPage, log_in
from tests.portfolio.pages_demo import PASSWORD, load_demo

pytestmark = pytest.mark.browser


def test_a_manager_goes_from_a_matrix_cell_to_an_account_and_its_zone_history(
    page: Page, live_server: LiveServer, transactional_db: None
) -> None:
    demo = load_demo()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    log_in(page, live_server.url, "manager", PASSWORD)
    page.get_by_role("link", name="Portfolio", exact=True).click()
    expect(page.get_by_role("heading", name="Team portfolio")).to_be_visible()
    expect(page.locator("#scatter .main-svg").first).to_be_attached()  # Plotly drew the scatter from the local file

    cell = team_matrix(demo.after).cells[0][0]
    page.get_by_test_id("matrix-cell-high-high").click()
    table = page.get_by_test_id("portfolio-table")
    expect(table).to_contain_text(f"{cell.accounts} accounts")
    expect(page.get_by_test_id("cell-filter")).to_be_visible()

    first = table.locator("tbody tr td a").first
    name = first.inner_text()
    row = SnapshotRow.objects.get(snapshot=demo.after, account__name=name)
    assert (row.price_band, row.probability_band) == ("high", "high")
    first.click()
    expect(page.get_by_test_id("account-name")).to_contain_text(name)
    history = page.get_by_test_id("zone-history")
    expect(history).to_contain_text("2026-08-31")
    expect(history).to_contain_text("2026-11-20")
    expect(history.locator("tbody tr")).to_have_count(2)
    assert outside == [], f"requests left the server: {outside[:3]}"


def test_a_rep_filters_their_portfolio_without_a_full_reload(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    load_demo()
    page = new_page()
    log_in(page, live_server.url, "rep", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/mine/")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Zone").select_option("A")
    expect(page).to_have_url(re.compile(r"/portfolio/mine/\?.*zone=A"))
    expect(page.get_by_test_id("portfolio-table").locator("tbody .badge.zone-B")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1  # HTMX swapped the table; the page was not reloaded


def test_a_manager_previews_a_criteria_change_before_saving_it(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    demo = load_demo()
    page = new_page()
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/criteria/")
    preview = page.locator("#criteria-preview")
    expect(preview.get_by_test_id("preview-moved")).to_contain_text("0 of 120 accounts")  # loaded through HTMX
    page.locator("#id_grid_mid_high").select_option("B")  # mid price × high probability: A -> B
    moved = SnapshotRow.objects.filter(snapshot=demo.after, price_band="mid", probability_band="high").count()
    expect(preview.get_by_test_id("preview-moved")).to_contain_text(f"{moved} of 120 accounts")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text(re.compile(r"Criteria version \d+ saved"))).to_be_visible()
    assert Criteria.objects.count() == 2


def test_the_targets_page_draws_a_yomi_with_open_deals_in_it(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    load_demo()
    page = new_page()
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/targets/?period=2026-11")
    expect(page.locator("#yomi-chart .main-svg").first).to_be_attached()
    # Stacked bars per trace: won, + high (ヨミA), + mid (ヨミB); open deals fill the last two.
    totals = page.evaluate("document.getElementById('yomi-chart').data.slice(0, 3).map(t => t.x.reduce((a, b) => a + b, 0))")
    assert len(totals) == 3
    assert all(total > 0 for total in totals), totals
    expect(page.get_by_test_id("team-weighted-pipeline")).not_to_have_text("¥0")
    expect(page.get_by_test_id("undated-open-deals")).to_have_count(0)
    # The period picker reloads with another month; next month has nothing won yet but a pipeline.
    page.get_by_label("Period shown").select_option("2026-12")
    expect(page).to_have_url(re.compile(r"period=2026-12"))
    expect(page.get_by_test_id("team-yomi-won")).to_have_text("¥0")
    expect(page.get_by_test_id("team-weighted-pipeline")).not_to_have_text("¥0")


def test_charts_read_money_in_the_company_currency_and_probability_in_percent(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    load_demo()
    page = new_page(locale="ja-JP")
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/")
    expect(page.locator("#scatter .main-svg").first).to_be_attached()
    # The formatter (Intl.NumberFormat, CLDR): 万 / 億 and ￥ in Japanese, K / M in English, the code for CHF.
    formatted = page.evaluate(
        """() => {
          const ja = KokyakuCharts.moneyFormat("JPY", "ja");
          const en = KokyakuCharts.moneyFormat("JPY", "en");
          const chf = KokyakuCharts.moneyFormat("CHF", "en");
          return [ja.axis(5e6), ja.axis(1e8), ja.axis(343000), ja.axis(25e6), ja.hover(123456789), ja.axis(0),
                  en.axis(5e6), en.axis(343000), en.axis(1e8), en.hover(1234567), chf.axis(5e6)];
        }"""
    )
    assert formatted == [
        "￥500万",
        "￥1億",
        "￥34.3万",
        "￥2500万",
        "￥1.235億",
        "￥0",
        "¥5M",
        "¥343K",
        "¥100M",
        "¥1,234,567",
        "CHF\xa05M",
    ]
    # The scatter: a yen axis in 万 / 億, percent on the probability axis, hovers in yen, legend A, B, C.
    layout = page.evaluate(
        "(() => { const l = document.getElementById('scatter').layout; return [l.xaxis.ticktext, l.yaxis.ticksuffix]; })()"
    )
    ticks, suffix = layout
    assert ticks, ticks
    assert all(t.startswith("￥") for t in ticks), ticks
    assert any("万" in t for t in ticks), ticks
    assert suffix == "%"
    hover = page.evaluate("document.getElementById('scatter').data[0].customdata[0]")
    assert str(hover[1]).startswith("￥")
    assert str(hover[2]).startswith("￥")
    legend = page.evaluate("Array.from(document.querySelectorAll('#scatter .legendtext')).map(e => e.textContent)")
    assert [t[-1] for t in legend] == ["A", "B", "C"], legend
    # The ヨミ chart's money axis and the effort chart's percent and revenue-per-hour axes.
    page.goto(f"{live_server.url}/portfolio/targets/?period=2026-11")
    expect(page.locator("#yomi-chart .main-svg").first).to_be_attached()
    yomi = page.evaluate("document.getElementById('yomi-chart').layout.xaxis.ticktext")
    assert yomi[0] == "￥0", yomi
    assert any("万" in t for t in yomi), yomi
    page.goto(f"{live_server.url}/portfolio/effort/?start=2025-11-01&end=2026-11-20")
    expect(page.locator("#effort-chart .main-svg").first).to_be_attached()
    effort = page.evaluate(
        "(() => { const l = document.getElementById('effort-chart').layout; return [l.yaxis.ticksuffix, l.yaxis2.ticktext]; })()"
    )
    assert effort[0] == "%"
    assert effort[1], effort
    assert all(t.startswith("￥") for t in effort[1]), effort


def _box(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def test_filter_and_picker_labels_line_up_with_their_fields_and_the_compute_button_works(
    new_page: NewPage, live_server: LiveServer, transactional_db: None
) -> None:
    load_demo()
    page = new_page()
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/accounts/")
    # Every filter's label on one line, every control on another: Search's text input as tall as the selects.
    labels = [_box(page, f"form.filters label[for=id_{name}]") for name in ("q", "zone", "buyer_type", "owner")]
    fields = [_box(page, f"form.filters #id_{name}") for name in ("q", "zone", "buyer_type", "owner")]
    assert max(b["y"] for b in labels) - min(b["y"] for b in labels) < 1.5, labels
    assert max(b["y"] for b in fields) - min(b["y"] for b in fields) < 1.5, fields
    assert max(b["height"] for b in fields) - min(b["height"] for b in fields) < 1.5, fields
    # Review's From / To: each label centred on its select.
    page.goto(f"{live_server.url}/portfolio/review/")
    for name in ("before", "after"):
        label, select = _box(page, f"label[for=review-{name}]"), _box(page, f"#review-{name}")
        assert abs((label["y"] + label["height"] / 2) - (select["y"] + select["height"] / 2)) < 2, (name, label, select)
    # The compute button is its own POST form, not nested in the GET picker (a nested form is dropped).
    assert (
        page.evaluate("document.querySelector('[data-testid=review-pick] button[type=submit]').textContent.trim()") == "Compare"
    )
    before = Snapshot.objects.count()
    page.get_by_role("button", name="Compute snapshot now").click()
    expect(page.get_by_text(re.compile(r"Snapshot \d+ computed"))).to_be_visible()
    assert Snapshot.objects.count() == before + 1
    # The target form's rep is a search box (no option per rep), empty at first, under its label;
    # typing a rep's name fills in the rep's id.
    page.goto(f"{live_server.url}/portfolio/targets/")
    rep = page.get_by_label("Rep", exact=True)
    expect(rep).to_have_value("")
    expect(page.locator("[data-testid=target-form] select")).to_have_count(1)  # the period only
    name, pk = Rep.objects.filter(active=True).order_by("name").values_list("name", "id")[0]
    rep.fill(name)
    expect(page.locator("[data-testid=target-form] input[name=rep]")).to_have_value(str(pk))
