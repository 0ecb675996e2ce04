"""The shared table writer: formula neutralising, CSV encodings, XLSX formats, widths, print setup, flat streaming."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from kokyaku.lib import tabular
from kokyaku.lib.tabular import (
    Column,
    Sheet,
    TabularError,
    XlsxStyle,
    XlsxWriter,
    csv_lines,
    display_width,
    money_format,
    neutralise,
    write_csv,
)

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '  =HYPERLINK("x")', "＝1", "＋1", "－1", "＠x", "\u3000=1"]
HARMLESS = ["株式会社テスト", "a=b", "1-2", "", "x@y.jp"]
COLUMNS = [Column("名前"), Column("単価", "money"), Column("確率", "percent"), Column("日付", "date"), Column("件数", "int")]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_a_spreadsheet_would_evaluate_gets_an_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def _sheet(rows: list[tuple[object, ...]]) -> Sheet:
    return Sheet("表", COLUMNS, rows)


def test_csv_neutralises_text_but_not_numbers() -> None:
    out = io.BytesIO()
    n = write_csv(out, _sheet([("=cmd|' /C calc'!A0", Decimal("-1200"), 0.25, date(2026, 6, 30), -3)]))
    assert n == 1
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [["名前", "単価", "確率", "日付", "件数"], ["'=cmd|' /C calc'!A0", "-1200", "0.25", "2026-06-30", "-3"]]


def test_cp932_csv_and_the_row_it_cannot_hold() -> None:
    raw = b"".join(csv_lines(_sheet([("株式会社テスト", 1, None, None, 1)]), encoding="cp932"))
    assert raw.decode("cp932").splitlines()[1] == "株式会社テスト,1,,,1"
    with pytest.raises(TabularError, match=r"row 3 \(Café\), column '名前': 'é' cannot be written in cp932"):
        b"".join(csv_lines(_sheet([("ok", 1, None, None, 1), ("Café", 2, None, None, 1)]), encoding="cp932"))
    with pytest.raises(TabularError, match="encoding must be one of"):
        list(csv_lines(_sheet([]), encoding="latin-1"))


def test_money_formats_carry_the_symbol_and_the_currencys_decimals() -> None:
    assert money_format("JPY", "ja") == money_format("JPY", "en") == '"¥"#,##0;-"¥"#,##0'
    assert money_format("USD", "en") == '"$"#,##0.00;-"$"#,##0.00'
    assert money_format("KWD", "en").endswith("#,##0.000")


def _book(rows: list[tuple[object, ...]], heading: tuple[str, ...] = ("見出し",)) -> Workbook:
    book = XlsxWriter(XlsxStyle(money=money_format("JPY", "ja")))
    book.add(Sheet("表", COLUMNS, rows, fills=lambda r: "C6EFCE" if r[4] == 1 else None), heading=heading)
    out = io.BytesIO()
    book.save(out)
    return load_workbook(io.BytesIO(out.getvalue()))


def test_xlsx_cells_have_real_number_formats_and_text_stays_text() -> None:
    wb = _book([("=1+1", Decimal("455000000.5"), 0.456, date(2026, 6, 30), 1), ("＠x", None, None, None, 2)])
    ws = wb["表"]
    assert ws["A1"].value == "見出し"
    assert [c.value for c in ws[2]] == ["名前", "単価", "確率", "日付", "件数"]
    name, price, prob, day, count = ws[3]
    assert (name.value, name.data_type, name.quotePrefix) == ("=1+1", "s", True)  # kept as typed, never run
    assert price.value == 455000000.5
    assert price.number_format == '"¥"#,##0;-"¥"#,##0'
    assert prob.value == pytest.approx(0.456)
    assert prob.number_format == "0.0%"
    assert day.value.date() == date(2026, 6, 30)
    assert day.number_format == "yyyy-mm-dd"
    assert count.number_format == "#,##0"
    assert ws["A4"].quotePrefix
    assert ws["A4"].value == "＠x"
    assert ws["A3"].fill.fgColor.rgb.endswith("C6EFCE")
    assert not ws["A4"].fill.fgColor.rgb.endswith("C6EFCE")


def test_xlsx_sheets_are_set_up_for_reading_and_printing() -> None:
    long_name = "株式会社とても長い名前の取引先"
    ws = _book([(long_name, 1, 0.1, None, 1)] * 3)["表"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:E5"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.column_dimensions["A"].width >= display_width(long_name) == 30  # wide characters count two


def test_xlsx_streams_more_rows_than_its_width_sample() -> None:
    rows = ((f"name {i}", i, 0.5, None, i) for i in range(1200))
    ws = _book(list(rows), heading=())["表"]
    assert ws.max_row == 1201
    assert ws["A1201"].value == "name 1199"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E1201"


def test_a_sheet_longer_than_excel_allows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_ROWS", 10)
    with pytest.raises(TabularError, match=r"sheet '表': more than Excel's 10 rows a sheet; filter the table or choose CSV"):
        _book([("x", 1, 0.1, None, 1)] * 9)
    assert _book([("x", 1, 0.1, None, 1)] * 8)["表"].max_row == 10
