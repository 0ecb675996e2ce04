"""`kokyaku snapshot` and `kokyaku export portfolio`: the files open and match the snapshot."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook

from kokyaku.crm.models import Account, CompanySettings, Rep
from kokyaku.portfolio.export import accounts_export, write_file
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from tests.portfolio.conftest import AS_OF, FORMULA_NAME

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_snapshot_command_stores_a_snapshot_as_of_the_given_date(portfolio: dict[int, Account]) -> None:
    out = run("snapshot", "--as-of", AS_OF.isoformat())
    snapshot = Snapshot.objects.get()
    assert snapshot.as_of == AS_OF
    assert f"snapshot {snapshot.pk} as of 2026-06-30: 10 accounts (A 3 / B 3 / C 3)" in out


def test_the_snapshot_command_refuses_a_bad_date_with_one_clear_line(portfolio: dict[int, Account]) -> None:
    with pytest.raises(CommandError, match=r"--as-of: '30/06/2026' is not a date \(use YYYY-MM-DD\)"):
        run("snapshot", "--as-of", "30/06/2026")
    assert not Snapshot.objects.exists()


def _snapshot_rows(snapshot: Snapshot) -> dict[str, SnapshotRow]:
    return {r.account.external_id: r for r in SnapshotRow.objects.filter(snapshot=snapshot).select_related("account", "owner")}


def test_export_latest_is_the_latest_as_of_date_not_the_last_computed(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", "2026-11-28")
    run("snapshot", "--as-of", "2026-08-31")  # a past portfolio rebuilt afterwards
    november = Snapshot.objects.get(as_of="2026-11-28")
    out = run("export", "portfolio", "--snapshot", "latest", "-o", str(tmp_path / "latest.csv"))
    assert f"of snapshot {november.pk} (2026-11-28)" in out


HEADERS_EN = [
    "Account code", "Account", "Owner", "Zone", "Unit price", "Win probability", "Probability source",
    "Expected value", "Buyer type", "Lifecycle", "Near boundary", "As of",
]  # fmt: skip
HEADERS_JA = [
    "取引先コード", "取引先", "担当者", "ゾーン", "取引単価", "受注確率", "確率の出所", "期待値", "購買タイプ",
    "ライフサイクル", "境界付近", "基準日",
]  # fmt: skip
SOURCES_EN = {"rep": "Rep's estimate", "none": "None"}
LIFECYCLES_EN = {"prospect": "Prospect", "new": "New customer", "active": "Active customer"}


def test_the_csv_export_has_a_bom_the_columns_and_the_snapshot_values(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "portfolio.csv"
    out = run("export", "portfolio", "--format", "csv", "--lang", "en", "-o", str(path))
    assert "wrote 10 accounts" in out
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0].keys()) == HEADERS_EN
    expected = _snapshot_rows(Snapshot.objects.get())
    assert len(rows) == len(expected) == 10
    for row in rows:
        snap = expected[row["Account code"]]
        assert row["Zone"] == (snap.zone or "Unzoned")
        assert row["Owner"] == (snap.owner.name if snap.owner else "(unassigned)")
        assert row["Probability source"] == SOURCES_EN[snap.probability_source]
        assert (Decimal(row["Unit price"]) if row["Unit price"] else None) == snap.unit_price
        assert (Decimal(row["Expected value"]) if row["Expected value"] else None) == snap.expected_value
        assert (float(row["Win probability"]) if row["Win probability"] else None) == snap.win_probability
        assert row["Lifecycle"] == LIFECYCLES_EN[snap.lifecycle]
        assert row["As of"] == "2026-06-30"
    names = {r["Account code"]: r["Account"] for r in rows}
    assert names["ACC-001"] == "株式会社テスト1"


def test_the_csv_export_speaks_japanese_with_lang_ja(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "ja.csv"
    run("export", "portfolio", "--lang", "ja", "-o", str(path))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == HEADERS_JA
    prospect = next(r for r in rows if r[0] == "ACC-010")
    assert (prospect[2], prospect[3], prospect[9]) == ("（担当者なし）", "ゾーン未判定", "見込み客")


def test_exported_text_that_starts_a_formula_is_neutralised(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "p.csv"
    run("export", "portfolio", "--lang", "en", "-o", str(path))
    rows = {r["Account code"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}
    assert rows["ACC-009"]["Account"] == "'" + FORMULA_NAME
    xlsx = tmp_path / "p.xlsx"
    run("export", "portfolio", "-o", str(xlsx))
    wb = load_workbook(xlsx)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == FORMULA_NAME]
    assert cells, "the name is kept as text in the workbook"
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_the_cp932_export_opens_in_shift_jis(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "sjis.csv"
    run("export", "portfolio", "--snapshot", "latest", "--format", "csv", "--encoding", "cp932", "-o", str(path))
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "株式会社テスト1".encode("cp932") in raw
    assert len(list(csv.DictReader(io.StringIO(raw.decode("cp932"))))) == 10


def test_a_name_cp932_cannot_hold_stops_the_export_and_leaves_no_file(portfolio: dict[int, Account], tmp_path: Path) -> None:
    Account.objects.filter(pk=portfolio[2].pk).update(name="Café 🍣")
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "sjis.csv"
    with pytest.raises(CommandError, match=r"row \d+ \(ACC-002\), column 'Account': 'é' cannot be written in cp932"):
        run("export", "portfolio", "--encoding", "cp932", "-o", str(path))
    assert list(tmp_path.iterdir()) == []


def test_the_xlsx_export_has_one_accounts_sheet_with_the_rep_as_a_column_then_the_summaries(
    portfolio: dict[int, Account], strong_rep: Rep, developing_rep: Rep, tmp_path: Path
) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    snapshot = Snapshot.objects.get()
    path = tmp_path / "portfolio.xlsx"
    run("export", "portfolio", "--snapshot", str(snapshot.pk), "--format", "xlsx", "--lang", "ja", "-o", str(path))
    wb = load_workbook(path)
    assert wb.sheetnames == ["取引先", "マトリクス", "ゾーン別", "担当者別"]  # no sheet per rep unfiltered
    sheet = wb["取引先"]
    assert sheet["A1"].value == f"スナップショット #{snapshot.pk}（基準日 2026-06-30）"
    header = [c.value for c in sheet[2]]
    assert header == HEADERS_JA
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:L12"
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.orientation == "landscape"
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    body = [dict(zip(header, (c for c in row), strict=True)) for row in sheet.iter_rows(min_row=3)]
    assert [r["担当者"].value for r in body[:5]] == [developing_rep.name] * 4 + [strong_rep.name]  # by rep, then EV
    expected = _snapshot_rows(snapshot)
    for r in body:
        snap = expected[str(r["取引先コード"].value)]
        assert r["ゾーン"].value == (snap.zone or "ゾーン未判定")
        assert r["期待値"].value == (pytest.approx(float(snap.expected_value)) if snap.expected_value is not None else None)
        assert r["基準日"].value.date() == AS_OF
        assert r["基準日"].number_format == "yyyy-mm-dd"
        if snap.win_probability is not None:
            assert r["受注確率"].value == pytest.approx(snap.win_probability)
            assert 0 < r["受注確率"].value <= 1  # a fraction: 0.0% shows 0.7 as 70.0%
            assert r["受注確率"].number_format == "0.0%"
            assert r["取引単価"].number_format == r["期待値"].number_format == '"¥"#,##0;-"¥"#,##0'
    fills = {r["取引先コード"].value: r["ゾーン"].fill.fgColor.rgb for r in body}
    assert fills["ACC-009"].endswith("C6EFCE")  # zone A green
    assert fills["ACC-001"].endswith("F2F2F2")  # zone C grey
    assert body[0]["取引先"].fill.fill_type is None  # only the zone cell is coloured
    name_width = sheet.column_dimensions["B"].width
    assert name_width >= len('=HYPERLINK("http://evil")'), "the longest name fits"
    zones = {row[0].value: row[1].value for row in wb["ゾーン別"].iter_rows(min_row=3)}
    assert zones == {"A": 3, "B": 3, "C": 3, "ゾーン未判定": 1}
    matrix = [[c.value for c in row] for row in wb["マトリクス"].iter_rows(min_row=3)]
    assert matrix[0][:2] == ["高", 3]  # high price, high probability: accounts 7-9
    reps = {row[0].value: row[1].value for row in wb["担当者別"].iter_rows(min_row=3)}
    assert reps == {strong_rep.name: 5, developing_rep.name: 4, "（担当者なし）": 1}


@pytest.mark.parametrize(
    ("currency", "shown"),
    [("USD", '"$"#,##0.00;-"$"#,##0.00'), ("VND", '"₫"#,##0;-"₫"#,##0'), ("BHD", '"BHD"#,##0.000;-"BHD"#,##0.000')],
)
def test_the_xlsx_money_cells_show_the_company_currencys_symbol_and_decimals(
    portfolio: dict[int, Account], tmp_path: Path, currency: str, shown: str
) -> None:
    CompanySettings.objects.update_or_create(pk=1, defaults={"currency": currency})
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "portfolio.xlsx"
    run("export", "portfolio", "--format", "xlsx", "--lang", "en", "-o", str(path))
    sheet = load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[2]]
    first = next(sheet.iter_rows(min_row=3))
    assert first[header.index("Unit price")].number_format == shown
    assert first[header.index("Expected value")].number_format == shown
    assert first[header.index("Win probability")].number_format == "0.0%"


def test_export_lang_defaults_to_the_sites_language(portfolio: dict[int, Account], tmp_path: Path, settings: Any) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    settings.LANGUAGE_CODE = "ja"
    path = tmp_path / "default.csv"
    run("export", "portfolio", "-o", str(path))
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].startswith("取引先コード,取引先,担当者")


def test_export_without_a_snapshot_says_what_to_run(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="there is no snapshot yet: run `kokyaku snapshot` first"):
        run("export", "portfolio", "-o", str(tmp_path / "x.csv"))


def test_export_to_a_missing_folder_is_refused(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    with pytest.raises(CommandError, match="does not exist"):
        run("export", "portfolio", "-o", str(tmp_path / "nope" / "x.csv"))


def test_a_filtered_export_gives_two_reps_with_the_same_name_a_sheet_each(
    portfolio: dict[int, Account], strong_rep: Rep, tmp_path: Path
) -> None:
    namesake = Rep.objects.create(name=strong_rep.name)
    Account.objects.filter(pk=portfolio[10].pk).update(owner=namesake)
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "p.xlsx"
    with translation.override("en"):
        write_file(accounts_export(Snapshot.objects.get(), filters={"search": "ACC-"}), path, fmt="xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:4] == ["Accounts", "Matrix", "Zones", "Per rep"]
    assert {strong_rep.name, f"{strong_rep.name}~2"} <= set(wb.sheetnames)
    assert sum(ws.max_row - 2 for ws in wb.worksheets[4:]) == 10  # a heading line and the header above each


def test_an_unfiltered_export_has_no_sheet_per_rep(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "p.xlsx"
    run("export", "portfolio", "--lang", "en", "-o", str(path))
    assert load_workbook(path, read_only=True).sheetnames == ["Accounts", "Matrix", "Zones", "Per rep"]
