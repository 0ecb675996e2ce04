"""The `kokyaku` command line: clear one-line errors and non-zero exits, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KOKYAKU_TEST_DB_NAME"}}
    environ.update({"KOKYAKU_DATA_DIR": str(data_dir), "DEBUG": "1", "SECRET_KEY": ""}, **env)
    command = [sys.executable, "-m", "kokyaku.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120, check=False)


def test_it_refuses_to_run_on_an_unmigrated_database(tmp_path: Path) -> None:
    result = run_cli("token", "someone", data_dir=tmp_path)
    assert result.returncode == 1
    assert "not migrated" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_names_the_bad_environment_variable(tmp_path: Path) -> None:
    result = run_cli("migrate", data_dir=tmp_path, DATABASE_URL="mysql://db/x")
    assert result.returncode == 1
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("migrate", data_dir=tmp_path, DEBUG="perhaps")
    assert result.returncode == 1
    assert "DEBUG" in result.stderr


def test_it_requires_a_secret_key_when_debug_is_off(tmp_path: Path) -> None:
    result = run_cli("migrate", data_dir=tmp_path, DEBUG="0")
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr


def test_it_rejects_an_unknown_command(tmp_path: Path) -> None:
    result = run_cli("frobnicate", data_dir=tmp_path)
    assert result.returncode == 2
    assert "unknown command 'frobnicate'" in result.stderr


def test_it_migrates_creates_a_user_and_a_token(tmp_path: Path) -> None:
    assert run_cli("migrate", "-v", "0", data_dir=tmp_path).returncode == 0
    created = run_cli("createuser", "mori", "--role", "manager", "--password", "long-enough-1", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "created mori (manager)" in created.stdout
    duplicate = run_cli("createuser", "mori", "--role", "rep", "--password", "long-enough-1", data_dir=tmp_path)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    token = run_cli("token", "mori", data_dir=tmp_path)
    assert token.returncode == 0
    assert token.stdout.startswith("kky_")
    missing = run_cli("token", "nobody", data_dir=tmp_path)
    assert missing.returncode == 1
    assert "no active user 'nobody'" in missing.stderr


@pytest.mark.parametrize("role", ["boss", ""])
def test_it_rejects_an_unknown_role(tmp_path: Path, role: str) -> None:
    result = run_cli("createuser", "x", "--role", role, "--password", "long-enough-1", data_dir=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_cli("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in ("migrate", "createuser", "serve", "demo", "token"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["demo", "import", "snapshot", "export", "createuser", "token", "serve"])
def test_help_lists_the_commands_own_options_not_djangos(command: str, tmp_path: Path) -> None:
    result = run_cli(command, "--help", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: kokyaku {command}")
    for django_only in ("--pythonpath", "--settings", "--traceback", "--force-color"):
        assert django_only not in result.stdout


def test_a_command_starts_without_loading_the_model_libraries(tmp_path: Path) -> None:
    """scikit-learn, SciPy and skops took about 1.5 of the 2.7 CPU seconds every `kokyaku` command spent
    starting (an import of a million rows is about 20 CPU s); they load when a model is trained or served,
    and OR-Tools (about 0.1 s) when an assignment plan is made."""
    probe = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'kokyaku.settings'; import django; django.setup();"
        "import kokyaku.prediction.job_kinds, kokyaku.imports.services, kokyaku.portfolio.services;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'skops', 'lifelines', 'ortools'}))"
    )
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KOKYAKU_TEST_DB_NAME"}}
    environ.update({"KOKYAKU_DATA_DIR": str(tmp_path), "DEBUG": "1"})
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120, check=True
    )
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
    # and the names still resolve, on first use
    from kokyaku.domain import assignment, buyer_types, prediction

    assert prediction.DealWinModel.__module__ == "kokyaku.domain.prediction.deal_model"
    assert buyer_types.BuyerTypeModel.__module__ == "kokyaku.domain.buyer_types.learned"
    assert assignment.plan_assignment.__module__ == "kokyaku.domain.assignment.plan"
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = prediction.no_such_name


def test_serve_help_needs_no_secret_key(tmp_path: Path) -> None:
    """A newcomer reads `kokyaku serve --help` before setting anything up: the help is not production."""
    result = run_cli("serve", "--help", data_dir=tmp_path, DEBUG="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: kokyaku serve")
    assert "--port" in result.stdout


def test_help_names_every_command_and_import_kind(tmp_path: Path) -> None:
    result = run_cli("--help", data_dir=tmp_path)
    assert "contacts)" in result.stdout  # the sixth import kind (docs/import.md)
    for command in ("jobs", "company"):
        assert f"\n  {command} " in result.stdout


def test_a_reader_that_goes_away_stops_it_quietly(tmp_path: Path) -> None:
    """`kokyaku followups | head` closes the pipe early: no BrokenPipeError traceback on the terminal."""
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KOKYAKU_TEST_DB_NAME"}}
    environ.update({"KOKYAKU_DATA_DIR": str(tmp_path), "DEBUG": "1"})
    command = [sys.executable, "-m", "kokyaku.cli", "migrate"]
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first line it prints meets a closed pipe
    try:
        result = subprocess.run(command, stdout=write, stderr=subprocess.PIPE, text=True, env=environ, cwd=ROOT, timeout=120)
    finally:
        os.close(write)
    assert "Traceback" not in result.stderr, result.stderr
    assert "BrokenPipeError" not in result.stderr
    assert result.returncode == 141


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("TIME_ZONE", "Mars/Base", "TIME_ZONE must be a time zone name such as Asia/Tokyo; got 'Mars/Base'"),
        ("KOKYAKU_NIGHTLY_HOUR", "25", "KOKYAKU_NIGHTLY_HOUR must be at most 23; got 25"),
        (
            "KOKYAKU_IMPORT_KIND",
            "invoices",
            "KOKYAKU_IMPORT_KIND must be one of accounts, reps, deals, activities, purchases, contacts; got 'invoices'",
        ),
    ],
)
def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path, variable: str, value: str, said: str) -> None:
    """README: 'a bad value stops start-up with a message naming it' (a wrong zone was a traceback, hour 25 accepted)."""
    result = run_cli("migrate", data_dir=tmp_path, **{variable: value})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"kokyaku: error: configuration: {said}"


def test_log_level_is_read_in_any_case_and_a_bad_one_is_named(tmp_path: Path) -> None:
    """LOG_LEVEL=info (lower case) was a traceback from the logging setup; README documents the variable."""
    assert run_cli("migrate", "-v", "0", data_dir=tmp_path, LOG_LEVEL="info").returncode == 0
    result = run_cli("migrate", data_dir=tmp_path, LOG_LEVEL="verbose")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "kokyaku: error: configuration: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got 'verbose'"
    )


def test_the_import_kinds_the_settings_accept_are_the_importers_kinds() -> None:
    from django.conf import settings

    from kokyaku.imports.plans import PLANS

    assert tuple(PLANS) == settings.IMPORT_KINDS
