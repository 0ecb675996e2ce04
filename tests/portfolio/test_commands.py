"""`kokyaku snapshot` and `kokyaku export portfolio`: the files open and match the snapshot."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from kokyaku.crm.models import Account, CompanySettings, Rep
from kokyaku.portfolio.export import COLUMNS
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


def test_the_csv_export_has_a_bom_the_columns_and_the_snapshot_values(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "portfolio.csv"
    out = run("export", "portfolio", "--format", "csv", "-o", str(path))
    assert "wrote 10 accounts" in out
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0].keys()) == list(COLUMNS)
    expected = _snapshot_rows(Snapshot.objects.get())
    assert len(rows) == len(expected) == 10
    for row in rows:
        snap = expected[row["account_external_id"]]
        assert row["zone"] == snap.zone
        assert row["owner"] == (snap.owner.name if snap.owner else "")
        assert row["probability_source"] == snap.probability_source
        assert (Decimal(row["unit_price"]) if row["unit_price"] else None) == snap.unit_price
        assert (Decimal(row["expected_value"]) if row["expected_value"] else None) == snap.expected_value
        assert (float(row["win_probability"]) if row["win_probability"] else None) == snap.win_probability
        assert row["lifecycle"] == snap.lifecycle
    names = {r["account_external_id"]: r["account_name"] for r in rows}
    assert names["ACC-001"] == "株式会社テスト1"


def test_exported_text_that_starts_a_formula_is_neutralised(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "p.csv"
    run("export", "portfolio", "-o", str(path))
    rows = {r["account_external_id"]: r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}
    assert rows["ACC-009"]["account_name"] == "'" + FORMULA_NAME
    xlsx = tmp_path / "p.xlsx"
    run("export", "portfolio", "-o", str(xlsx))
    wb = load_workbook(xlsx)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == FORMULA_NAME]
    assert cells, "the name is kept as text in the workbook"
    assert all(c.data_type == "s" for c in cells)


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
    with pytest.raises(CommandError, match=r"account ACC-002.*cannot be written in cp932; use --encoding utf-8-sig"):
        run("export", "portfolio", "--encoding", "cp932", "-o", str(path))
    assert list(tmp_path.iterdir()) == []


def test_the_xlsx_export_has_one_sheet_per_rep_and_the_team_matrix(
    portfolio: dict[int, Account], strong_rep: Rep, developing_rep: Rep, tmp_path: Path
) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    snapshot = Snapshot.objects.get()
    path = tmp_path / "portfolio.xlsx"
    run("export", "portfolio", "--snapshot", str(snapshot.pk), "--format", "xlsx", "-o", str(path))
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Team matrix"
    assert set(wb.sheetnames[1:]) == {strong_rep.name, developing_rep.name, "(unassigned)"}
    expected = _snapshot_rows(snapshot)
    tanaka = wb[strong_rep.name]
    header = [c.value for c in tanaka[1]]
    assert header == list(COLUMNS)
    assert tanaka.freeze_panes == "A2"
    assert tanaka.auto_filter.ref == "A1:L6"
    body = [dict(zip(header, (c.value for c in row), strict=True)) for row in tanaka.iter_rows(min_row=2)]
    assert [r["account_external_id"] for r in body] == ["ACC-009", "ACC-007", "ACC-005", "ACC-003", "ACC-001"]  # by EV
    for r in body:
        snap = expected[str(r["account_external_id"])]
        assert r["zone"] == snap.zone
        assert r["expected_value"] == pytest.approx(float(snap.expected_value or 0))
    fills = {row[0].value: row[0].fill.fgColor.rgb for row in tanaka.iter_rows(min_row=2)}
    assert fills["ACC-009"].endswith("C6EFCE")  # zone A green
    assert fills["ACC-001"].endswith("F2F2F2")  # zone C grey
    matrix = wb["Team matrix"]
    values = [c.value for row in matrix.iter_rows() for c in row]
    assert "A: 3" in values  # the high-high cell
    zone_rows = {row[0].value: row[1].value for row in matrix.iter_rows() if row[0].value in ("A", "B", "C", "unzoned")}
    assert zone_rows == {"A": 3, "B": 3, "C": 3, "unzoned": 1}
    money = {header[c.column - 1]: c.number_format for c in next(tanaka.iter_rows(min_row=2)) if c.column - 1 < len(header)}
    assert (money["unit_price"], money["expected_value"]) == ("#,##0", "#,##0")  # yen: no decimals shown


@pytest.mark.parametrize(("currency", "shown"), [("USD", "#,##0.00"), ("VND", "#,##0"), ("BHD", "#,##0.000")])
def test_the_xlsx_money_cells_show_the_company_currencys_decimals(
    portfolio: dict[int, Account], tmp_path: Path, currency: str, shown: str
) -> None:
    CompanySettings.objects.update_or_create(pk=1, defaults={"currency": currency})
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "portfolio.xlsx"
    run("export", "portfolio", "--format", "xlsx", "-o", str(path))
    sheet = load_workbook(path).worksheets[1]
    header = [c.value for c in sheet[1]]
    first = next(sheet.iter_rows(min_row=2))
    assert first[header.index("unit_price")].number_format == shown
    assert first[header.index("expected_value")].number_format == shown
    assert first[header.index("win_probability")].number_format == "General"


def test_export_without_a_snapshot_says_what_to_run(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="there is no snapshot yet: run `kokyaku snapshot` first"):
        run("export", "portfolio", "-o", str(tmp_path / "x.csv"))


def test_export_to_a_missing_folder_is_refused(portfolio: dict[int, Account], tmp_path: Path) -> None:
    run("snapshot", "--as-of", AS_OF.isoformat())
    with pytest.raises(CommandError, match="does not exist"):
        run("export", "portfolio", "-o", str(tmp_path / "nope" / "x.csv"))


def test_two_reps_with_the_same_name_get_a_sheet_each(portfolio: dict[int, Account], strong_rep: Rep, tmp_path: Path) -> None:
    namesake = Rep.objects.create(name=strong_rep.name)
    Account.objects.filter(pk=portfolio[10].pk).update(owner=namesake)
    run("snapshot", "--as-of", AS_OF.isoformat())
    path = tmp_path / "p.xlsx"
    run("export", "portfolio", "-o", str(path))
    wb = load_workbook(path)
    assert {strong_rep.name, f"{strong_rep.name}~2"} <= set(wb.sheetnames)
    assert sum(ws.max_row - 1 for ws in wb.worksheets[1:]) == 10
