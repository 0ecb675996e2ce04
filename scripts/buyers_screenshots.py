#!/usr/bin/env python3
"""Photograph the buyers pages (docs/screenshots/buyers-*.png) on a fresh seeded demo, in Japanese.

    .venv/bin/python scripts/buyers_screenshots.py                 # 2,000 demo accounts

Reuses the web shell's helpers (scripts/screenshots.py): a throw-away SQLite database, `kokyaku demo
--seed 7 --as-of 2026-11-20`, two snapshots, `kokyaku buyer-types suggest`, Django's development
server on a free port, and /usr/bin/chromium through Playwright.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import portfolio_screenshots as pf  # its login helper
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
            pf._login(page, base, "rep")
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
            if shell._kokyaku(env, "snapshot", "--as-of", as_of, "-v", "0").returncode:
                sys.exit("snapshot failed")
        done = shell._kokyaku(env, "buyer-types", "suggest", "--as-of", shell.AS_OF)
        if done.returncode:
            sys.exit(f"buyer-types suggest failed:\n{done.stderr}")
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
    print(f"data: {source}")
    for path in saved:
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
