"""Time the team page in Chromium as production serves it: first visit, second visit, visit after 60 s.

    .venv/bin/python scripts/static_cache_timing.py [--rounds 3] [--accounts 2000] [--mbps 20 --rtt 40]

A throw-away SQLite database in a temporary directory gets what `make run` loads (`kokyaku demo`, 2,000
accounts, with its snapshots); `kokyaku serve` then runs in production mode (DEBUG=0: collectstatic,
gunicorn, WhiteNoise) with one worker. Each round is a fresh Chromium context (an empty cache) logged in
as the demo manager, which opens /portfolio/ three times: cold, again at once, and again after 65 s,
past WhiteNoise's 60 s max-age for names without a hash. Printed per visit: time from navigation to the
scatter chart drawn, DOMContentLoaded, the plotly bundle's status (network 200, revalidated 304, or from
the cache with no request) and bytes over the wire, and the page's script time (CDP ScriptDuration).
With --mbps, Chromium emulates a slower network (localhost hides what bytes and round trips cost).
Not a test: figures depend on the machine and its load (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots as shell  # the web shell's helpers, next to this file

ROOT = shell.ROOT
KOKYAKU = str(Path(sys.executable).parent / "kokyaku")
WAIT_PAST_MAX_AGE = 65

# Collected once the scatter is drawn: navigation timing, the plotly entry of resource timing.
PROBE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const js = performance.getEntriesByType('resource').find(r => r.name.includes('/plotly/plotly'));
  return {
    dcl: nav.domContentLoadedEventEnd, url: js ? js.name : null, transfer: js ? js.transferSize : null,
    body: js ? js.encodedBodySize : null, status: js ? js.responseStatus : null, fetch: js ? js.duration : null,
  };
}"""


def _visit(page: Any, cdp: Any, url: str) -> dict[str, Any]:
    page.goto(url, wait_until="commit")
    drawn = page.wait_for_function(
        "() => document.querySelector('#scatter .main-svg') && performance.now()", timeout=60_000
    ).json_value()
    after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    out: dict[str, Any] = page.evaluate(PROBE)
    out["drawn"] = float(drawn)
    out["script_s"] = after["ScriptDuration"]  # the page's own: the metrics start again with each document
    if out["transfer"] == 0:
        out["how"] = "cache"
    else:
        out["how"] = "304" if out["status"] == 304 or (out["transfer"] or 0) < 2000 else "200"
    return out


def _measure(base: str, rounds: int, mbps: float, rtt: int) -> list[list[dict[str, Any]]]:
    from playwright.sync_api import sync_playwright

    results: list[list[dict[str, Any]]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shell.CHROMIUM, args=shell.CHROMIUM_ARGS, headless=True)
        sessions = []
        for _ in range(rounds):
            context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.fill("#id_username", "manager")
            page.fill("#id_password", shell.DEMO_PASSWORD)
            page.click("form.form button[type=submit]")
            page.wait_for_url(f"{base}/")
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            if mbps:  # Chromium's network emulation: every request over the wire, not cache hits
                cdp.send("Network.enable")
                speed = mbps * 1_000_000 / 8
                conditions = {"offline": False, "latency": rtt, "downloadThroughput": speed, "uploadThroughput": speed}
                cdp.send("Network.emulateNetworkConditions", conditions)
            visits = [_visit(page, cdp, f"{base}/portfolio/"), _visit(page, cdp, f"{base}/portfolio/")]
            sessions.append((page, cdp, visits))
        time.sleep(WAIT_PAST_MAX_AGE)  # one wait for every round: each context keeps its own cache
        for page, cdp, visits in sessions:
            visits.append(_visit(page, cdp, f"{base}/portfolio/"))
            results.append(visits)
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accounts", default="2000")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mbps", type=float, default=0, help="emulate a network of this many Mbit/s (default: none)")
    parser.add_argument("--rtt", type=int, default=40, help="with --mbps: added latency per request, ms (default 40)")
    args = parser.parse_args()
    port = args.port or shell._free_port()
    with tempfile.TemporaryDirectory(prefix="kk-static-") as tmp:
        # PYTHONPATH: this checkout's code even when the venv's editable install points at another one
        env = {**os.environ, "PYTHONPATH": str(ROOT), "KOKYAKU_DATA_DIR": tmp, "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3"}
        dev = {**env, "DEBUG": "1"}
        subprocess.run([KOKYAKU, "migrate", "--no-input", "-v", "0"], env=dev, check=True, cwd=ROOT)  # noqa: S603
        demo = [KOKYAKU, "demo", "--accounts", args.accounts]
        subprocess.run(demo, env=dev, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603 - our own CLI
        prod = {**env, "DEBUG": "0", "SECRET_KEY": "static-cache-timing-only"}
        server = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [KOKYAKU, "serve", "--port", str(port), "--workers", "1"], env=prod, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        try:
            shell._wait_for(f"http://127.0.0.1:{port}/login/", seconds=60)
            results = _measure(f"http://127.0.0.1:{port}", args.rounds, args.mbps, args.rtt)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.mbps:
        print(f"network: {args.mbps:g} Mbit/s, {args.rtt} ms latency (Chromium emulation)")
    labels = ["first visit", "second visit", f"after {WAIT_PAST_MAX_AGE} s"]
    print(f"plotly URL: {results[0][0]['url']}")
    for i, label in enumerate(labels):
        rows = [r[i] for r in results]
        drawn = statistics.median(r["drawn"] for r in rows)
        dcl = statistics.median(r["dcl"] for r in rows)
        script = statistics.median(r["script_s"] for r in rows)
        hows = ", ".join(f"{r['how']} {r['transfer']:,} B" for r in rows)
        each = " / ".join(f"{r['drawn']:.0f}" for r in rows)
        print(f"{label:>14}: chart drawn {drawn:6.0f} ms (rounds {each}), DOMContentLoaded {dcl:6.0f} ms, "
              f"script {script:.2f} s; plotly: {hows}")  # fmt: skip


if __name__ == "__main__":
    main()
