"""`kokyaku demo`: thin, with clear errors, the URL hint and the demo logins at the end."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from kokyaku.crm.models import Account, Deal
from tests.test_cli import run_cli

pytestmark = pytest.mark.django_db


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), tick=False)
def test_it_loads_the_demo_and_prints_the_url_and_the_logins() -> None:
    out = _demo("--accounts", "200", "--seed", "4")
    assert out.startswith("demo: 200 accounts, ")
    assert "http://127.0.0.1:8000/" in out
    assert "password kokyaku-demo" in out
    for username in ("manager", "rep", "rep2", "admin"):
        assert f"\n  {username} " in out
    assert Account.objects.count() == 200
    # "today" is the frozen date: nothing happened after it.
    assert not Deal.objects.filter(opened_on__gt="2026-11-20").exists()


def test_if_empty_does_nothing_and_succeeds_when_data_exists(strong_account: Account) -> None:
    out = _demo("--accounts", "200", "--if-empty")
    assert out == "demo: skipped, the database already holds 1 account\n"
    assert Account.objects.count() == 1


def test_it_refuses_a_database_with_data_unless_forced(strong_account: Account) -> None:
    with pytest.raises(CommandError, match="already holds 1 account; pass --force"):
        _demo("--accounts", "200")
    _demo("--accounts", "200", "--force", "--as-of", "2026-11-20")
    assert Account.objects.count() == 201


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "0"], "--accounts must be between 1 and 10,000,000; got 0"),
        (["--accounts", "many"], "--accounts must be a whole number; got 'many'"),
        (["--seed", "-3"], "--seed must be zero or more; got -3"),
        (["--seed", "x"], "--seed must be a whole number"),
        (["--as-of", "2026-13-01"], "--as-of must be a date like 2026-03-31"),
        (["--force", "--if-empty"], "contradict"),
    ],
)
def test_bad_input_is_a_clear_command_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _demo(*args)
    assert not Account.objects.exists()


def test_the_cli_loads_once_then_skips_with_if_empty(tmp_path: Path) -> None:
    assert run_cli("migrate", "-v", "0", data_dir=tmp_path).returncode == 0
    first = run_cli("demo", "--accounts", "150", "--if-empty", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "demo: 150 accounts" in first.stdout
    second = run_cli("demo", "--if-empty", data_dir=tmp_path)
    assert second.returncode == 0
    assert second.stdout == "demo: skipped, the database already holds 150 accounts\n"
