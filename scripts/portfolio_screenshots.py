#!/usr/bin/env python3
"""Photograph the portfolio pages (docs/screenshots/portfolio-*.png) on a fresh seeded demo.

    .venv/bin/python scripts/portfolio_screenshots.py                 # 2,000 demo accounts
    .venv/bin/python scripts/portfolio_screenshots.py --accounts 500

Reuses the web shell's screenshot helpers (scripts/screenshots.py): a throw-away SQLite database in
a temporary directory, `kokyaku demo --seed 7 --as-of 2026-11-20`, then two snapshots (as of
2026-08-31 and 2026-11-20, so the review has moves), Django's development server on a free port,
and /usr/bin/chromium through Playwright. Pages in English; the team, a rep's home, targets and criteria
also in Japanese.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots as shell  # the web shell's helpers, next to this file

ROOT = shell.ROOT
PAGES = [
    # (file stem, login, path, full page?)
    ("portfolio-home-manager", "manager", "/", True),
    ("portfolio-home-rep", "rep", "/", True),
    ("portfolio-team", "manager", "/portfolio/", True),
    ("portfolio-mine", "rep", "/portfolio/mine/", False),
    ("portfolio-review", "manager", "/portfolio/review/?from=B&to=A", True),
    ("portfolio-criteria", "manager", "/portfolio/criteria/", True),
    ("portfolio-effort", "manager", "/portfolio/effort/?start=2025-11-01&end=2026-11-20", True),
    ("portfolio-targets", "manager", "/portfolio/targets/?period=FY2026-Q3", True),  # the current quarter: won + pipeline
]


def _login(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)  # type: ignore[attr-defined]
    page.fill("#id_password", shell.DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit].btn-primary")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/")  # type: ignore[attr-defined]


def _shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shell.CHROMIUM, args=shell.CHROMIUM_ARGS)
        try:
            contexts = {}
            for locale in ("en-US", "ja-JP"):
                for user in ("manager", "rep"):
                    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 860})
                    page = context.new_page()
                    _login(page, base, user)
                    contexts[(locale, user)] = page
            for stem, user, path, full in PAGES:
                page = contexts[("en-US", user)]
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                saved.append(out / f"{stem}-en.png")
                page.screenshot(path=saved[-1], full_page=full)
            page = contexts[("en-US", "manager")]
            page.goto(f"{base}/portfolio/")
            page.get_by_test_id("matrix-cell-high-high").click()
            page.wait_for_load_state("networkidle")
            page.locator("[data-testid=portfolio-table] tbody tr td a").first.click()
            page.wait_for_load_state("networkidle")
            saved.append(out / "portfolio-account-en.png")
            page.screenshot(path=saved[-1], full_page=True)
            for stem, user, path in (
                ("portfolio-team", "manager", "/portfolio/"),
                ("portfolio-home-rep", "rep", "/"),
                ("portfolio-targets", "manager", "/portfolio/targets/?period=FY2026-Q3"),
                ("portfolio-criteria", "manager", "/portfolio/criteria/"),
            ):
                page = contexts[("ja-JP", user)]
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                saved.append(out / f"{stem}-ja.png")
                page.screenshot(path=saved[-1], full_page=True)
        finally:
            browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=2000, help="demo size (default 2,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="output folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kokyaku-shots-") as tmp:
        env = {**os.environ, "DEBUG": "1", "KOKYAKU_DATA_DIR": tmp, "LOG_LEVEL": "ERROR"}
        env.pop("DATABASE_URL", None)
        source = shell._prepare_database(env, args.accounts)
        for as_of in ("2026-08-31", shell.AS_OF):
            done = shell._kokyaku(env, "snapshot", "--as-of", as_of, "-v", "0")
            if done.returncode:
                sys.exit(f"snapshot failed:\n{done.stderr}")
        port = shell._free_port()
        server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", "--settings=kokyaku.settings"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            shell._wait_for(f"{base}/login/")
            saved = _shoot(base, args.out)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"data: {source} + snapshots as of 2026-08-31 and {shell.AS_OF}")
    for path in saved:
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
