"""Time the chart pages in Chromium as production serves them, and where the time goes.

    PYTHONPATH=. .venv/bin/python -m benchmarks.browser_pages --data-dir DIR [--runs 5] [--first-requests 3]

DIR holds a database made by `kokyaku demo` (DATABASE_URL defaults to sqlite:///DIR/db.sqlite3), for example

    export KOKYAKU_DATA_DIR=/tmp/kk-pages DATABASE_URL=sqlite:////tmp/kk-pages/db.sqlite3 DEBUG=1
    kokyaku migrate && kokyaku demo --accounts 4400 --as-of 2026-11-20 && kokyaku train

`kokyaku serve` (DEBUG=0: collectstatic, gunicorn, WhiteNoise, one worker) serves it. For each chart page a
fresh Chromium context (an empty cache) logs in as the demo manager and loads the page once (the first
load: every static file over the wire, nothing compiled) and then --runs times (warm: from the cache).
A load ends when every Plotly.newPlot the page called has resolved and the load event has fired (an init
script wraps Plotly.newPlot; CSP does not apply to it). Each load is traced (CDP, devtools.timeline):

- html: navigation start to the HTML's last byte (server time plus the transfer);
- plotly eval: the plotly bundle's EvaluateScript (parse, compile, run its top level), compile the
  v8.compile part of it (0 when Chromium reuses its code cache);
- newPlot: from the page's first Plotly.newPlot call to the last one's promise resolved;
- paint: first contentful paint, where Chromium reports one (0 when it reported none);
- rest: the remainder (other scripts, style and layout, fetching static files).

With --first-requests N the server is restarted N times per page and the page's first request, sent once
the worker is up (it answers a static file, which WhiteNoise serves without the URL conf or a template), is
timed against the second; the start-up (spawn to that static answer, collectstatic check included) too.
Not a test: figures depend on the machine and its load (the load average is printed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KOKYAKU = str(Path(sys.executable).parent / "kokyaku")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PASSWORD = "kokyaku-demo"  # noqa: S105 - the published password of the demo logins
STATIC_PROBE = "/static/kokyaku/favicon.svg"
PAGES = ["/portfolio/", "/portfolio/review/", "/portfolio/targets/", "/portfolio/effort/", "/retention/", "/prediction/"]

WRAP_NEWPLOT = """(() => {
  const kk = window.__kk = {calls: 0, done: 0, syncMs: 0, first: null, last: 0, errors: []};
  window.addEventListener('error', e => kk.errors.push(String(e.message)));
  let P;
  Object.defineProperty(window, 'Plotly', {configurable: true, get() { return P; }, set(v) {
    P = v;
    const orig = v.newPlot;
    v.newPlot = function () {
      kk.calls++;
      const t0 = performance.now();
      if (kk.first === null) { kk.first = t0; }
      const r = orig.apply(this, arguments);
      kk.syncMs += performance.now() - t0;
      return Promise.resolve(r).then(x => { const t1 = performance.now(); kk.done++;
        kk.last = Math.max(kk.last, t1); return x; });
    };
  }});
})();"""
DONE = "() => document.readyState === 'complete' && window.__kk && __kk.calls > 0 && __kk.done === __kk.calls"
PROBE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const js = performance.getEntriesByType('resource').find(r => r.name.includes('/plotly/'));
  return {html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, drawn: __kk.last,
    fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null,
    newplot: __kk.last - __kk.first, newplot_sync: __kk.syncMs, charts: __kk.calls, errors: __kk.errors,
    bundle: js ? js.name : null, bundle_bytes: js ? js.transferSize : null};
}"""


def _trace_split(trace: bytes, bundle: str | None) -> tuple[float, float]:
    """The bundle's EvaluateScript time and the v8.compile time inside it, in ms."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    evals = [
        e
        for e in events
        if e.get("name") == "EvaluateScript"
        and e.get("ph") == "X"
        and bundle
        and e.get("args", {}).get("data", {}).get("url", "").split("?")[0] == bundle.split("?")[0]
    ]
    total = sum(e.get("dur", 0) for e in evals) / 1000
    compile_ms = 0.0
    for ev in evals:
        start, end = ev["ts"], ev["ts"] + ev.get("dur", 0)
        compile_ms += (
            sum(
                e.get("dur", 0)
                for e in events
                if e.get("name") in ("v8.compile", "V8.CompileCode")
                and e.get("ph") == "X"
                and e.get("tid") == ev.get("tid")
                and start <= e["ts"] <= end
            )
            / 1000
        )
    return total, compile_ms


def _load(browser: Any, page: Any, url: str) -> dict[str, Any]:
    browser.start_tracing(page=page, categories=["devtools.timeline", "v8", "disabled-by-default-v8.compile"])
    page.goto(url, wait_until="commit")
    page.wait_for_function(DONE, timeout=60_000)
    page.wait_for_load_state("load")
    out: dict[str, Any] = page.evaluate(PROBE)
    out["eval"], out["compile"] = _trace_split(browser.stop_tracing(), out["bundle"])
    out["rest"] = out["drawn"] - out["html"] - out["eval"] - out["newplot"]
    return out


def measure_pages(base: str, pages: list[str], runs: int) -> dict[str, list[dict[str, Any]]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict[str, Any]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for path in pages:
            context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
            context.add_init_script(WRAP_NEWPLOT)
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.fill("#id_username", "manager")
            page.fill("#id_password", PASSWORD)
            page.click("form.form button[type=submit]")
            page.wait_for_url(f"{base}/")
            results[path] = [_load(browser, page, base + path) for _ in range(runs + 1)]
            context.close()
        browser.close()
    return results


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [KOKYAKU, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=env["PYTHONPATH"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120  # collectstatic may run first
    while time.monotonic() < deadline:  # the port, not a request: the first request is what we time
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    sys.exit("the server did not start")


def _ready(port: int, started: float) -> float:
    """Seconds from the start until the worker answers a static file (WhiteNoise: no URL conf, no template)."""
    while time.monotonic() < started + 180:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", STATIC_PROBE)
            if conn.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("the worker did not answer")


def _get(port: int, path: str, cookie: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if response.status != 200:
        sys.exit(f"{path} answered {response.status}")
    return elapsed * 1000


def _session_cookie(port: int) -> str:
    import re

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    body = response.read().decode()
    csrf = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [] if c.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token
    form = f"csrfmiddlewaretoken={token.group(1)}&username=manager&password={PASSWORD}"
    headers = {"Cookie": csrf, "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{port}/login/"}
    conn.request("POST", "/login/", body=form, headers=headers)
    response = conn.getresponse()
    response.read()
    session = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [] if c.startswith("sessionid="))
    return f"{csrf}; {session}"


def measure_first_requests(
    env: dict[str, str], port: int, pages: list[str], restarts: int
) -> dict[str, list[tuple[float, float, float]]]:
    """Per page and restart: (first request once the worker is up, the same again) in ms, and the start-up in s.

    The worker is up when it answers a static file, which WhiteNoise serves before any URL conf or template.
    """
    server = _serve(env, port)
    try:
        cookie = _session_cookie(port)
    finally:
        server.terminate()
        server.wait(timeout=30)
    out: dict[str, list[tuple[float, float, float]]] = {p: [] for p in pages}
    for _ in range(restarts):
        for path in pages:  # one restart per page: each page's own first request
            started = time.monotonic()
            server = _serve(env, port)
            try:
                up = _ready(port, started)
                out[path].append((_get(port, path, cookie), _get(port, path, cookie), up))
            finally:
                server.terminate()
                server.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=5, help="warm loads per page after the first (default 5)")
    parser.add_argument("--pages", nargs="*", default=PAGES)
    parser.add_argument("--first-requests", type=int, default=0, help="restarts to time the first request after")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--json", type=Path, help="write every load's figures here")
    args = parser.parse_args()
    if not args.port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            args.port = s.getsockname()[1]
    data = args.data_dir.resolve()
    env = {
        **os.environ,
        "PYTHONPATH": str(args.root.resolve()),
        "KOKYAKU_DATA_DIR": str(data),
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "browser-pages-benchmark-only"),
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{data}/db.sqlite3")
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    report: dict[str, Any] = {}
    if args.runs >= 0:
        server = _serve(env, args.port)
        try:
            results = measure_pages(f"http://127.0.0.1:{args.port}", args.pages, args.runs)
        finally:
            server.terminate()
            server.wait(timeout=30)
        report["pages"] = results
        print(
            f"{'page':<20} {'charts':>6} {'bundle KB':>9} | {'first':>6} {'html':>5} {'paint':>5} {'eval':>5} {'(comp)':>6} "
            f"{'newPlot':>7} {'rest':>5} | {'warm':>6} {'html':>5} {'paint':>5} {'eval':>5} {'newPlot':>7} {'rest':>5}  ms"
        )
        for path, loads in results.items():
            first, warm = loads[0], loads[1:]
            med = (
                {
                    k: statistics.median([w[k] for w in warm if w[k] is not None] or [0])
                    for k in ("drawn", "html", "fcp", "eval", "newplot", "rest")
                }
                if warm
                else {}
            )
            errors = sorted({e for w in loads for e in w["errors"]})
            print(
                f"{path:<20} {first['charts']:>6} {(first['bundle_bytes'] or 0) / 1024:>9.0f} | {first['drawn']:>6.0f} "
                f"{first['html']:>5.0f} {first['fcp'] or 0:>5.0f} {first['eval']:>5.0f} {first['compile']:>6.0f} "
                f"{first['newplot']:>7.0f} {first['rest']:>5.0f} | "
                + (
                    f"{med['drawn']:>6.0f} {med['html']:>5.0f} {med['fcp']:>5.0f} {med['eval']:>5.0f} "
                    f"{med['newplot']:>7.0f} {med['rest']:>5.0f}"
                    if med
                    else ""
                )
                + (f"  ERRORS {errors}" if errors else "")
            )
    if args.first_requests:
        first_requests = measure_first_requests(env, args.port, args.pages, args.first_requests)
        report["first_requests"] = first_requests
        print("first request once the restarted worker is up (one worker), median ms: first / second; start-up s")
        for path, runs in first_requests.items():
            each = ", ".join(f"{a:.0f}/{b:.0f}" for a, b, _ in runs)
            print(
                f"  {path:<20} {statistics.median(r[0] for r in runs):6.0f} / {statistics.median(r[1] for r in runs):5.0f}"
                f"   start-up {statistics.median(r[2] for r in runs):4.1f} s   ({each})"
            )
    print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
