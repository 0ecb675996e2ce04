#!/usr/bin/env python3
"""Take the README's screenshots: start Kokyaku on a fresh demo database and photograph it in Chromium.

Run by hand from the repository root:

    .venv/bin/python scripts/screenshots.py                 # writes docs/screenshots/*.png
    .venv/bin/python scripts/screenshots.py --accounts 500  # a smaller, faster demo

It migrates a throw-away SQLite database in a temporary directory, loads `kokyaku demo` with a fixed
seed and date (Japanese names; or a few hand-made rows if the demo command is not available),
computes a portfolio snapshot, serves it with Django's development server on a free local port, and
drives /usr/bin/chromium through Playwright. Nothing outside the temporary directory and the output
folder is touched. scripts/portfolio_screenshots.py reuses :func:`run` and :func:`login`.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "kokyaku-demo"  # noqa: S105 - the published password of the demo logins
AS_OF = "2026-11-20"

HAND_MADE_ROWS = """
from datetime import date
from decimal import Decimal
from kokyaku.crm.models import Account, Deal, Rep, Team
from kokyaku.users.roles import Role
from kokyaku.crm.services import login_create
team = Team.objects.create(name="Tokyo")
lead = Rep.objects.create(name="Sato Kenji", team=team, tier=Rep.Tier.STRONG)
rep = Rep.objects.create(name="Tanaka Hiroshi", team=team, tier=Rep.Tier.STRONG)
rep2 = Rep.objects.create(name="Suzuki Yui", team=team, tier=Rep.Tier.DEVELOPING)
names = ["Fuji Seiki", "Aoba Labs", "Kansai Logistics", "Hokuriku Foods", "Minato Bank", "Sakura Pharma"]
for i, name in enumerate(names):
    owner = [rep, rep2, lead][i % 3]
    acc = Account.objects.create(external_id=f"ACC-{i}", name=name, owner=owner)
    status = ["won", "open", "lost"][i % 3]
    Deal.objects.create(external_id=f"D-{i}", account=acc, owner=owner, name=f"{name} renewal",
        amount=Decimal(1200000 + 350000 * i), status=status, opened_on=date(2026, 4 + i, 1),
        closed_on=None if status == "open" else date(2026, 5 + i, 1))
logins = [("manager", Role.MANAGER, lead), ("rep", Role.REP, rep), ("rep2", Role.REP, rep2), ("admin", Role.ADMIN, None)]
for username, role, r in logins:
    login_create(actor=None, username=username, password="kokyaku-demo", role=role, email=f"{username}@demo.example.jp",
        rep_id=r.pk if r else None)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _kokyaku(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # Our own interpreter and fixed arguments: no untrusted input reaches the command line.
    return subprocess.run([sys.executable, "-m", "kokyaku.cli", *args], cwd=ROOT, env=env, text=True, capture_output=True)  # noqa: S603


def _prepare_database(env: dict[str, str], accounts: int) -> str:
    migrated = _kokyaku(env, "migrate", "--no-input", "-v", "0")
    if migrated.returncode:
        sys.exit(f"migrate failed:\n{migrated.stderr}")
    demo = _kokyaku(env, "demo", "--accounts", str(accounts), "--seed", "7", "--as-of", AS_OF, "--snapshots", "0")
    if demo.returncode == 0:
        return f"kokyaku demo --accounts {accounts} --seed 7 --as-of {AS_OF}"
    print(f"kokyaku demo unavailable ({demo.stderr.strip().splitlines()[-1:]}); using hand-made rows", file=sys.stderr)
    code = "import django; django.setup()\n" + HAND_MADE_ROWS
    env = {**env, "DJANGO_SETTINGS_MODULE": "kokyaku.settings"}
    made = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603 - our own fixed code
    if made.returncode:
        sys.exit("could not create the hand-made rows")
    return "hand-made rows"


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a local http:// URL we built
                return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"the server did not answer at {url}")


def _shoot(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for locale, lang in (("en-US", "en"), ("ja-JP", "ja")):
                context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 820}, device_scale_factor=1)
                page = context.new_page()
                page.goto(f"{base}/login/")
                saved.append(out / f"login-{lang}.png")
                page.screenshot(path=saved[-1])
                login(page, base, "rep")
                saved.append(out / f"home-{lang}.png")
                page.screenshot(path=saved[-1], full_page=True)
                context.close()
            # A manager's view of the settings page, and the home page on a phone-sized screen.
            context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 820})
            page = context.new_page()
            login(page, base, "manager")
            page.goto(f"{base}/settings/company/")
            saved.append(out / "company-settings-en.png")
            page.screenshot(path=saved[-1], full_page=True)
            context.close()
            context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844}, device_scale_factor=2)
            page = context.new_page()
            login(page, base, "rep2")
            saved.append(out / "home-ja-narrow.png")
            page.screenshot(path=saved[-1], full_page=True)
            context.close()
        finally:
            browser.close()
    return saved


def login(page: Any, base: str, username: str) -> None:
    """Log in through the login form and wait for the home page."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{base}/")


def run(
    shoot: Callable[[str, Path], list[Path]],
    *,
    snapshots: tuple[str, ...],
    description: str | None,
    commands: tuple[tuple[str, ...], ...] = (),
) -> None:
    """Parse ``--accounts`` and ``--out``, serve a fresh demo with ``snapshots`` (as-of dates), call ``shoot(base, out)``.

    ``commands``: further ``kokyaku`` commands run after the snapshots (e.g. ``buyer-types suggest``).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--accounts", type=int, default=2000, help="demo size (default 2,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="output folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="kokyaku-shots-") as tmp:
        env = {**os.environ, "DEBUG": "1", "KOKYAKU_DATA_DIR": tmp, "LOG_LEVEL": "ERROR"}
        env.pop("DATABASE_URL", None)
        source = _prepare_database(env, args.accounts)
        for as_of in snapshots:
            done = _kokyaku(env, "snapshot", "--as-of", as_of, "-v", "0")
            if done.returncode:
                sys.exit(f"snapshot failed:\n{done.stderr}")
        if snapshots:
            source += f" + snapshots as of {', '.join(snapshots)}"
        for command in commands:
            done = _kokyaku(env, *command)
            if done.returncode:
                sys.exit(f"kokyaku {' '.join(command)} failed:\n{done.stderr}")
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", "--settings=kokyaku.settings"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(f"{base}/login/")
            saved = shoot(base, args.out)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"data: {source}")
    for path in saved:
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main() -> None:
    # A portfolio snapshot, so the home page shows the zones panel as users will see it.
    run(_shoot, snapshots=(AS_OF,), description=__doc__.splitlines()[0] if __doc__ else None)


if __name__ == "__main__":
    main()
