#!/usr/bin/env python3
"""Photograph the buyers pages (docs/screenshots/buyers-*.png) on a fresh seeded demo, in Japanese.

    .venv/bin/python scripts/buyers_screenshots.py                 # 2,000 demo accounts

Reuses the web shell's helpers (scripts/screenshots.py): a throw-away SQLite database, `kokyaku demo
--seed 7 --as-of 2026-11-20`, two snapshots, `kokyaku buyer-types suggest`, Django's development
server on a free port, and /usr/bin/chromium through Playwright.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots as shell  # the web shell's helpers, next to this file

ROOT = shell.ROOT


def _shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shell.CHROMIUM, args=shell.CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 860})
            page = context.new_page()
            shell.login(page, base, "rep")
            for stem, path in (("buyers-team-ja", "/buyers/"), ("buyers-objections-ja", "/buyers/objections/?q=効果")):
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                saved.append(out / f"{stem}.png")
                page.screenshot(path=saved[-1], full_page=True)
            page.goto(f"{base}/buyers/")
            link = page.locator("[data-testid=to-confirm] tbody a").first
            link.click()
            page.wait_for_load_state("networkidle")
            saved.append(out / "buyers-account-ja.png")
            page.screenshot(path=saved[-1], full_page=True)
        finally:
            browser.close()
    return saved


def main() -> None:
    shell.run(
        _shoot,
        snapshots=("2026-08-31", shell.AS_OF),
        commands=(("buyer-types", "suggest", "--as-of", shell.AS_OF),),
        description=__doc__.splitlines()[0] if __doc__ else None,
    )


if __name__ == "__main__":
    main()
