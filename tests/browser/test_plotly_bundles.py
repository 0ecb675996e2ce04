"""Every chart page draws every trace it builds with the plotly.js bundle it loads.

Most chart pages load the cartesian partial bundle (1.5 MB instead of 4.8 MB; docs/web.md#charts): a
trace type missing from it is not an error in Plotly, the trace is just not drawn. So each page is opened,
every Plotly.newPlot awaited, and each trace's type checked against the bundle's registered types.
"""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from kokyaku.prediction.services import model_train, portfolio_backtest, version_store_backtest
from tests.browser.conftest import log_in
from tests.portfolio.pages_demo import AS_OF, BEFORE, NOW, PASSWORD, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARTESIAN = "/static/plotly/plotly-cartesian.min.js"
FULL = "/static/plotly/plotly.min.js"
# page, the bundle it loads, the trace types it draws
PAGES = [
    ("/portfolio/", CARTESIAN, {"scatter"}),
    ("/portfolio/mine/", CARTESIAN, {"scatter"}),
    ("/portfolio/targets/?period=2026-11", CARTESIAN, {"bar", "scatter"}),
    ("/portfolio/effort/", CARTESIAN, {"bar", "scatter"}),
    (f"/retention/?as_of={AS_OF.isoformat()}", CARTESIAN, {"scatter", "heatmap"}),
    ("/prediction/", CARTESIAN, {"scatter", "bar"}),
    ("/portfolio/review/", FULL, {"sankey"}),  # sankey is in no partial bundle
]
COUNT_NEWPLOT = """(() => {
  const kk = window.__kk = {calls: 0, done: 0, failed: []};
  let P;
  Object.defineProperty(window, 'Plotly', {configurable: true, get() { return P; }, set(v) {
    P = v;
    const orig = v.newPlot;
    v.newPlot = function () {
      kk.calls++;
      return Promise.resolve(orig.apply(this, arguments)).then(x => { kk.done++; return x; },
        e => { kk.failed.push(String(e)); throw e; });
    };
  }});
})();"""
TRACES = """() => {
  const known = new Set(Object.keys(Plotly.PlotSchema.get().traces));
  return Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(gd => gd.data.map((t, i) => ({
    plot: gd.id, type: t.type || 'scatter', known: known.has(t.type || 'scatter'),
    shown: gd._fullData[i].visible !== false || t.visible === false,
    drawn: gd.querySelector('.main-svg') !== null})));
}"""


def test_every_chart_page_draws_every_trace_with_the_bundle_it_loads(page: Page, live_server: LiveServer) -> None:
    with time_machine.travel(NOW, tick=True):
        load_demo()
    version = model_train(actor=None, as_of=AS_OF)  # the model page's reliability curves and back-test bars
    version_store_backtest(actor=None, version=version, result=portfolio_backtest(as_of=BEFORE, horizon_months=2))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: script error: {e}"))
    page.add_init_script(COUNT_NEWPLOT)
    log_in(page, live_server.url, "manager", PASSWORD)
    for path, bundle, types in PAGES:
        page.goto(live_server.url + path)
        page.wait_for_function("() => window.__kk && __kk.calls > 0 && __kk.done + __kk.failed.length === __kk.calls")
        assert page.evaluate("() => __kk.failed") == [], path
        loaded = page.evaluate(
            "() => Array.from(document.scripts, s => s.getAttribute('src') || '').filter(s => s.includes('/plotly/'))"
        )
        assert loaded == [bundle], path
        traces = page.evaluate(TRACES)
        assert {t["type"] for t in traces} == types, path
        assert [t for t in traces if not (t["known"] and t["shown"] and t["drawn"])] == [], path
    assert problems == []


def test_the_cartesian_bundle_has_no_sankey_so_the_check_above_can_fail(page: Page, live_server: LiveServer) -> None:
    page.set_content(f'<div id="p"></div><script src="{live_server.url}{CARTESIAN}"></script>')
    page.wait_for_function("() => window.Plotly")
    known = page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)")
    assert {"scatter", "bar", "heatmap"} <= set(known)
    assert "sankey" not in known
