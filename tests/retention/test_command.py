"""`kokyaku retention [--as-of DATE] [--json PATH]`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kokyaku.crm.models import Account

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_prints_the_curves_and_the_forecast_and_writes_json(history: list[Account], tmp_path: Path) -> None:
    path = tmp_path / "retention.json"
    text = run("--as-of", "2026-06-30", "--json", str(path))
    assert "retention as of 2026-06-30: 80 customers" in text
    assert "model: sbg" in text
    assert "alpha" in text
    assert "1 year     50.0%" in text  # the classic curve beside
    assert "after 3 years:" in text
    assert "revenue at stake" in text
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["as_of"] == "2026-06-30"
    assert data["model"] == "sbg"
    assert data["customers"] == 80
    assert [f["years"] for f in data["forecast"]] == [1, 2, 3]
    assert data["forecast"][0]["remaining_low"] <= data["forecast"][0]["remaining"] <= data["forecast"][0]["remaining_high"]
    assert data["yearly"]["rows"][0]["cohort"] == "FY2022"


def test_a_short_history_says_the_classic_curve_stands_in(short_history: list[Account]) -> None:
    text = run("--as-of", "2026-06-30")
    assert "model: classic" in text
    assert "the history is too short" in text
    assert "the classic curve stands in" in text


def test_an_earlier_day_sees_only_the_purchases_before_it(history: list[Account]) -> None:
    assert "retention as of 2023-06-30: 12 customers" in run(
        "--as-of", "2023-06-30"
    )  # first bought 2023-01-10 + 15 i days, i < 12


def test_no_purchases_at_all(db: None) -> None:
    text = run("--as-of", "2026-06-30")
    assert "0 customers" in text
    assert "model: classic" in text


def test_bad_input_is_named(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"--as-of: '2026-13-01' is not a date"):
        run("--as-of", "2026-13-01")
    with pytest.raises(CommandError, match="--json: the folder"):
        run("--json", str(tmp_path / "missing" / "r.json"))
