"""Markup in charts (issue 15): a name like <a href="https://x.example/">X</a> is shown as typed, never as a link."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kokyaku.crm.models import Account, Rep, Target
from kokyaku.portfolio.models import SnapshotRow
from tests.browser.conftest import log_in
from tests.portfolio.pages_demo import NOW, PASSWORD, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = '<a href="https://x.example/">X</a>'


def test_a_rep_name_with_markup_is_text_in_the_yomi_chart(page: Page, live_server: LiveServer) -> None:
    with time_machine.travel(NOW, tick=True):
        demo = load_demo()
    Rep.objects.filter(pk=demo.rep.pk).update(name=f"<b>Bold</b> {LINK}")
    Target.objects.update_or_create(
        rep=demo.rep, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), defaults={"amount": Decimal(1000)}
    )
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/targets/?period=2026-11")
    chart = page.locator("#yomi-chart")
    expect(chart.locator(".main-svg").first).to_be_visible()
    assert chart.locator("a").count() == 0  # Plotly made no link of it
    assert chart.locator("text", has_text=LINK).count() >= 1  # the tick label reads as typed
    assert chart.locator("text", has_text="<b>Bold</b>").count() >= 1


def test_an_account_name_with_markup_is_text_in_the_scatter(page: Page, live_server: LiveServer) -> None:
    with time_machine.travel(NOW, tick=True):
        demo = load_demo()
    plotted = SnapshotRow.objects.filter(snapshot=demo.after, zone__in=["A", "B", "C"]).values_list("account_id", flat=True)[0]
    Account.objects.filter(pk=plotted).update(name=LINK)
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/portfolio/")
    expect(page.locator("#scatter .scatterlayer .point").first).to_be_visible()
    texts = page.evaluate("() => document.getElementById('scatter').data.flatMap(t => t.text || [])")
    assert LINK.replace("<", "&lt;").replace(">", "&gt;") in texts  # escaped for Plotly
    assert LINK not in texts
    # what Plotly shows for it: hover the point and read the label
    point = page.evaluate(
        "(name) => { const d = document.getElementById('scatter').data;"
        " for (let c = 0; c < d.length; c++) { const i = (d[c].text || []).indexOf(name); if (i >= 0) return [c, i]; } }",
        LINK.replace("<", "&lt;").replace(">", "&gt;"),
    )
    page.evaluate("([c, i]) => Plotly.Fx.hover('scatter', [{curveNumber: c, pointNumber: i}])", point)
    label = page.locator("#scatter .hoverlayer")
    expect(label).to_contain_text(LINK)
    assert label.locator("a").count() == 0
