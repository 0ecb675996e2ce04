#!/usr/bin/env python3
"""Photograph the portfolio pages (docs/screenshots/portfolio-*.png) on a fresh seeded demo.

    .venv/bin/python scripts/portfolio_screenshots.py                 # 2,000 demo accounts
    .venv/bin/python scripts/portfolio_screenshots.py --accounts 500

Reuses the web shell's screenshot helpers (scripts/screenshots.py): a throw-away SQLite database in
a temporary directory, `kokyaku demo --seed 7 --as-of 2026-11-20`, then two snapshots (as of
2026-08-31 and 2026-11-20, so the review has moves), Django's development server on a free port,
and /usr/bin/chromium through Playwright. Pages in English, and in Japanese: the team, a rep's home and
matrix (also on a phone), review, targets, criteria, and an account edited by a manager with its history.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots as shell  # the web shell's helpers, next to this file

ROOT = shell.ROOT
PAGES_JA = [  # the Japanese pages, as a manager preparing the weekly 定例会議 and a rep see them
    ("portfolio-team", "manager", "/portfolio/"),
    ("portfolio-home-rep", "rep", "/"),
    ("portfolio-mine", "rep", "/portfolio/mine/"),
    ("portfolio-review", "manager", "/portfolio/review/"),
    ("portfolio-targets", "manager", "/portfolio/targets/?period=FY2026-Q3"),
    ("portfolio-criteria", "manager", "/portfolio/criteria/"),
    ("portfolio-criteria-read", "rep", "/portfolio/criteria/in-use/"),
]
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


def _edit_an_account(page: Any, base: str, out: Path) -> list[Path]:
    """A manager opens the first account of the high × high cell, edits it, and sees the change in its history."""
    page.goto(f"{base}/portfolio/")
    page.get_by_test_id("matrix-cell-high-high").click()
    page.wait_for_load_state("networkidle")
    page.locator("[data-testid=portfolio-table] tbody tr td a").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_test_id("account-edit").click()
    page.wait_for_load_state("networkidle")
    current = page.input_value("#id_buyer_type")
    page.select_option("#id_buyer_type", "skeptic" if current != "skeptic" else "visionary")
    page.fill("#id_employees", str(int(page.input_value("#id_employees") or 0) + 50))
    shots = [out / "portfolio-account-edit-ja.png"]
    page.screenshot(path=shots[-1], full_page=True)
    page.click("[data-testid=record-edit-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    shots.append(out / "portfolio-account-ja.png")
    page.screenshot(path=shots[-1], full_page=True)
    return shots


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
                    shell.login(page, base, user)
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
            for stem, user, path in PAGES_JA:
                page = contexts[("ja-JP", user)]
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                saved.append(out / f"{stem}-ja.png")
                page.screenshot(path=saved[-1], full_page=True)
            saved += _edit_an_account(contexts[("ja-JP", "manager")], base, out)
            phone = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844}, device_scale_factor=2)
            page = phone.new_page()
            shell.login(page, base, "rep")
            page.goto(f"{base}/portfolio/mine/")
            page.wait_for_load_state("networkidle")
            saved.append(out / "portfolio-mine-ja-narrow.png")
            page.screenshot(path=saved[-1], full_page=False)
        finally:
            browser.close()
    return saved


def main() -> None:
    shell.run(_shoot, snapshots=("2026-08-31", shell.AS_OF), description=__doc__.splitlines()[0] if __doc__ else None)


if __name__ == "__main__":
    main()
