"""`kokyaku demo`: thin, with clear errors, the URL hint and the demo logins at the end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from kokyaku.crm.models import Account, Deal
from kokyaku.demo.management.commands.demo import snapshot_dates
from kokyaku.portfolio.models import Snapshot
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
        (["--snapshots", "-1"], "--snapshots must be between 0 and 36; got -1"),
        (["--snapshots", "a few"], "--snapshots must be a whole number"),
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


@time_machine.travel(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), tick=False)
def test_it_computes_month_end_snapshots_so_review_has_history() -> None:
    out = _demo("--accounts", "200", "--seed", "4", "--snapshots", "3")
    assert [s.isoformat() for s in Snapshot.objects.order_by("as_of").values_list("as_of", flat=True)] == [
        "2026-09-30",
        "2026-10-31",
        "2026-11-20",
    ]
    assert "as of 2026-11-20: A " in out
    assert all(s.account_count == 200 for s in Snapshot.objects.all())


def test_no_snapshots_when_asked_for_none() -> None:
    _demo("--accounts", "50", "--snapshots", "0", "--as-of", "2026-11-20")
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize(
    ("as_of", "count", "expected"),
    [
        (date(2026, 3, 31), 3, [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]),
        (date(2024, 3, 15), 3, [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 15)]),
        (date(2026, 1, 5), 2, [date(2025, 12, 31), date(2026, 1, 5)]),
        (date(2026, 1, 5), 1, [date(2026, 1, 5)]),
    ],
)
def test_snapshot_dates_are_month_ends_then_the_as_of_day(as_of: date, count: int, expected: list[date]) -> None:
    assert snapshot_dates(as_of, count) == expected
