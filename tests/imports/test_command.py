"""`kokyaku import`: the command-line contract other tools rely on."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kokyaku.crm.models import Deal
from tests.imports.conftest import DEALS_HEADER, db_state, deals_csv, write

pytestmark = pytest.mark.usefixtures("seeded")


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_data", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_created_updated_unchanged_and_rejected(tmp_path: Path) -> None:
    out, _err = run("deals", str(write(tmp_path, "d.csv", deals_csv(12))))
    assert "deals from d.csv (mapping generic): 12 rows read" in out
    assert re.search(r"created +12\n", out)
    assert re.search(r"unchanged +0\n", out)
    assert re.search(r"rejected +0\n", out)


def test_a_dry_run_says_so_and_writes_nothing(tmp_path: Path) -> None:
    before = db_state()
    out, _err = run("deals", str(write(tmp_path, "d.csv", deals_csv(5))), "--dry-run")
    assert "DRY RUN: nothing was written." in out
    assert db_state() == before


def test_invalid_rows_fail_with_one_clear_line_and_the_first_problems_listed(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,-1,Won,won,2024-01-01,2024-02-01\n"
    err = StringIO()
    with pytest.raises(CommandError, match=r"1 problem found, nothing was written; first: d.csv: row 2, column 'amount'"):
        call_command("import_data", "deals", str(write(tmp_path, "d.csv", text)), stderr=err, stdout=StringIO())
    assert "negative value not allowed" in err.getvalue()


def test_skip_invalid_needs_a_rejects_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--skip-invalid needs --rejects PATH"):
        run("deals", str(write(tmp_path, "d.csv", deals_csv(2))), "--skip-invalid")


def test_skip_invalid_imports_the_good_rows_and_points_to_the_rejects(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,1,Won,won,2024-01-01,2024-02-01\nD2,A1,Tanaka,x,-1,Won,won,2024-01-01,2024-02-01\n"
    rejects = tmp_path / "rejects.csv"
    out, _err = run("deals", str(write(tmp_path, "d.csv", text)), "--skip-invalid", "--rejects", str(rejects))
    assert re.search(r"rejected +1\n", out)
    assert f"refused and skipped rows are in {rejects}" in out
    assert Deal.objects.filter(external_id="D1").exists()


def test_encoding_and_delimiter_can_be_forced(tmp_path: Path) -> None:
    text = DEALS_HEADER.replace(",", "|") + "D1|A1|Tanaka|東京|1|Won|won|2024-01-01|2024-02-01\n"
    path = write(tmp_path, "d.txt", text, encoding="cp932")
    out, _err = run("deals", str(path), "--encoding", "cp932", "--delimiter", "|", "--json")
    assert json.loads(out)["created"] == 1
    assert Deal.objects.get(external_id="D1").name == "東京"


def test_an_unknown_builtin_mapping_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no built-in mapping 'pipedrive' for deals; built-in: generic, salesforce, hubspot"):
        run("deals", str(write(tmp_path, "d.csv", deals_csv(2))), "--mapping", "pipedrive")


def test_problems_are_in_the_terminals_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("KOKYAKU_LANGUAGE", raising=False)
    text = DEALS_HEADER + "D1,A1,Tanaka,x,\\3,550,000x,Won,won,2024-01-01,2024-02-01\n"
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_data", "deals", str(write(tmp_path, "yen.csv", text.replace("\\3,550,000x", '"\\3,550,000x"'))), stderr=err
        )
    line = err.getvalue().strip().splitlines()[0]
    assert line == "yen.csv: 2 行目、列 'amount'、値 '\\3,550,000x': 数値として読めません"
    assert "問題が 1 件見つかったため" in str(caught.value)
    assert "nothing was written" not in str(caught.value)
