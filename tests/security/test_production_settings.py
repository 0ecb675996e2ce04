"""Production settings (issue 15): `serve` is production, and `kokyaku check --deploy` is clean with the documented env."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The production environment docs/security.md documents, with example values.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a8Zq-3vLr9tKx2Wm7Pn4Yc6Hb1Jd5Fg0Se8Uo3Ri7Ta2Vk9Xl4Qw6Ez1Cy5Np0Mj",
    "ALLOWED_HOSTS": "kokyaku.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://kokyaku.example.com",
    "KOKYAKU_TLS_PROXY": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
}


def kokyaku(*args: str, data_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "KOKYAKU_TEST_DB_NAME", "DEBUG", "SECRET_KEY", "KOKYAKU_FAST_HASHER", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and k not in PRODUCTION
    }
    environ.update({"KOKYAKU_DATA_DIR": str(data_dir), **env})
    command = [sys.executable, "-m", "kokyaku.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120, check=False)


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path: Path) -> None:
    result = kokyaku("check", "--deploy", "--fail-level", "WARNING", data_dir=tmp_path, env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_complains_without_them(tmp_path: Path) -> None:
    """The check above can fail: with only DEBUG off and a key, Django lists what is missing."""
    env = {"DEBUG": "0", "SECRET_KEY": PRODUCTION["SECRET_KEY"]}
    result = kokyaku("check", "--deploy", "--fail-level", "WARNING", data_dir=tmp_path, env=env)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):  # HSTS, SSL redirect, cookies
        assert check in result.stderr + result.stdout


def test_serve_is_production_and_stops_on_a_missing_secret_key(tmp_path: Path) -> None:
    """Issue 15: `kokyaku serve` turned DEBUG on when unset and served with a built-in key."""
    result = kokyaku("serve", "--port", "0", data_dir=tmp_path, env={})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr


def test_other_commands_keep_the_development_default(tmp_path: Path) -> None:
    result = kokyaku("migrate", "-v", "0", data_dir=tmp_path, env={})
    assert result.returncode == 0, result.stderr
