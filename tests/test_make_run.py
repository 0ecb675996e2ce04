"""`make run`: the port it serves on is the one the demo step announces; the package metadata builds cleanly."""

from __future__ import annotations

import re
import subprocess
import tomllib
from io import StringIO
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_passes_its_host_and_port_to_the_demo_message() -> None:
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8101", "HOST=0.0.0.0"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    demo = next(line for line in dry.splitlines() if "kokyaku demo" in line)
    assert "--url http://0.0.0.0:8101/" in demo
    serve = next(line for line in dry.splitlines() if "kokyaku serve" in line)
    assert re.search(r"--host 0\.0\.0\.0 --port 8101\b", serve)


@pytest.mark.django_db
def test_the_demo_prints_the_address_it_is_given() -> None:
    out = StringIO()
    call_command("demo", "--accounts", "50", "--snapshots", "0", "--url", "http://127.0.0.1:8101/", stdout=out)
    assert "open http://127.0.0.1:8101/" in out.getvalue()
    assert "8000" not in out.getvalue()


def test_the_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert any(req.startswith("setuptools>=77") for req in project["build-system"]["requires"])


def test_the_readme_says_how_to_change_the_port() -> None:
    assert "make run PORT=8101" in (ROOT / "README.md").read_text()


@pytest.mark.django_db
def test_the_system_checks_make_run_prints_are_clean() -> None:
    """`make run` runs `migrate`, which prints every system check warning: on SQLite Django's models.W040
    (a covering index's INCLUDE columns, PostgreSQL's) appeared at every start."""
    problems = [m for m in checks.run_checks(databases=["default"]) if m.level >= checks.WARNING and not m.is_silenced()]
    assert problems == []
