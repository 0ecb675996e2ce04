"""Files as Japanese teams export them: cp932 with ¥ as Excel writes it, full-width text, era dates,
workbooks with a title, merged cells and a total row, report footers, one customer under several names.

Every file is built here, byte by byte as the tool writes it (no opaque fixtures).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.imports.errors import ImportFileError, ImportInvalid
from kokyaku.imports.japanese import header_key, japanese_date, money, name_key, normalise
from kokyaku.imports.mapping import mapping_load
from kokyaku.imports.preview import column_picker, preview_rows
from kokyaku.imports.services import import_run
from tests.imports.conftest import db_state, write

pytestmark = pytest.mark.usefixtures("seeded")

REPORT_HEADER = "商談名,取引先名,商談 所有者,金額,フェーズ,確度 (%),作成日,完了予定日"
# a Salesforce report saved by Japanese Excel as CSV: cp932, ¥ stored as byte 0x5C (a backslash once
# read), full-width digits and yen, 和暦 and kanji dates, the same customer under four names, two
# ways of spacing one rep, and the report's footer after a blank line
REPORT_ROWS = [
    '新規導入,株式会社ABC商事,山田 太郎,"\\1,200,000",成立,100,令和6年4月1日,R6.5.15',
    "追加ライセンス,株式会社ＡＢＣ商事,山田　太郎,￥３５０，０００,提案/見積,60,2024年4月2日,2024/06/30",
    "保守更新,(株)ABC商事,山田太郎,120万円,交渉/レビュー,70%,２０２４/０４/０３,令和6年7月1日",
    '年間契約,㈱ABC商事,佐藤 健,"1,200千円",不成立,0,平成31年4月30日,R1.5.7',
    'ｷｬﾝﾍﾟｰﾝ,ﾃｽﾄ工業株式会社,佐藤 健,"\\50,000",見込み,10,45383,2024年5月31日(金)',
]
FOOTER = ["", '"機密情報 - 配布禁止"', '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."']


def report_bytes(rows: list[str] = REPORT_ROWS, footer: list[str] = FOOTER) -> bytes:
    text = "\r\n".join([REPORT_HEADER, *rows, *footer]) + "\r\n"
    return text.encode("cp932")


def test_yen_and_numbers_as_japanese_files_write_them() -> None:
    assert money("\\1,200,000") == money("￥１，２００，０００") == money("1,200,000円") == 1_200_000
    assert money("120万円") == money("1,200千円") == 1_200_000
    assert money("△5,000") == money("▲5,000") == -5000
    assert money("70%") == 70
    assert money("USD 12,500.00") == 12_500
    assert money("百二十万") is None
    assert money("1.2.3") is None


def test_japanese_dates() -> None:
    assert japanese_date("令和6年4月1日") == japanese_date("R6.4.1") == japanese_date("２０２４/０４/０１") == date(2024, 4, 1)
    assert japanese_date("平成31年4月30日") == date(2019, 4, 30)
    assert japanese_date("平成元年1月8日") == date(1989, 1, 8)
    assert japanese_date("2024年3月5日(火)") == date(2024, 3, 5)
    assert japanese_date("45383") == date(2024, 4, 1)  # an Excel serial in a CSV saved from Excel
    assert japanese_date("令和6年2月30日") is None
    assert japanese_date("12345") is None


def test_names_and_keys() -> None:
    keys = {name_key(n) for n in ("株式会社ABC商事", "株式会社ＡＢＣ商事", "(株)ABC商事", "㈱ABC商事", "ABC商事 株式会社")}
    assert len(keys) == 1
    assert len({name_key(n) for n in ("山田 太郎", "山田　太郎", "山田太郎")}) == 1
    assert name_key("ABC商事") != name_key("ABD商事")
    assert normalise("Ｊ－００１") == "J-001"
    assert normalise("ｷｬﾝﾍﾟｰﾝ") == "キャンペーン"
    assert header_key("確度（％）") == header_key("確度 (%)")


def test_a_japanese_salesforce_report_in_cp932_imports_as_it_comes(tmp_path: Path) -> None:
    data = report_bytes()
    assert b"\\1,200,000" in data
    assert "￥".encode("cp932") in data
    path = write(tmp_path, "商談レポート.csv", data)
    summary = import_run(actor=None, kind="deals", path=path, mapping="salesforce_report_ja")
    assert summary.created == 5
    assert summary.problem_count == 0
    abc = Account.objects.filter(name__contains="ABC商事")
    assert abc.count() == 1, "four spellings of one customer are one account"
    account = abc.get()
    deals = {d.name: d for d in Deal.objects.filter(account=account)}
    assert set(deals) == {"新規導入", "追加ライセンス", "保守更新", "年間契約"}
    assert deals["新規導入"].amount == deals["保守更新"].amount == deals["年間契約"].amount == Decimal(1_200_000)
    assert deals["追加ライセンス"].amount == Decimal(350_000)
    assert deals["新規導入"].status == "won"
    assert deals["新規導入"].closed_on == date(2024, 5, 15)
    assert deals["新規導入"].opened_on == date(2024, 4, 1)
    assert deals["保守更新"].probability == 70
    assert deals["保守更新"].expected_close_on == date(2024, 7, 1)
    assert deals["年間契約"].opened_on == date(2019, 4, 30)
    assert deals["年間契約"].closed_on == date(2019, 5, 7)
    assert Rep.objects.filter(name__startswith="山田").count() == 1, "three spacings of one rep are one rep"
    yamada = Rep.objects.get(name__startswith="山田")
    assert account.owner_id == yamada.pk, "an account a deals import creates takes its deals' owner"
    campaign = Deal.objects.get(name="キャンペーン")  # half-width katakana made full-width
    assert campaign.account.name == "テスト工業株式会社"
    assert campaign.opened_on == date(2024, 4, 1)
    assert campaign.amount == Decimal(50_000)
    notes = "\n".join(summary.notes)
    assert "(株)ABC商事 matched to" in notes, "a merge is never silent"
    assert "footer" in notes
    state = db_state()
    again = import_run(actor=None, kind="deals", path=path, mapping="salesforce_report_ja")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5), "re-importing the report changes nothing"
    assert db_state() == state


def test_the_resaved_report_with_other_date_and_yen_styles_changes_nothing(tmp_path: Path) -> None:
    import_run(actor=None, kind="deals", path=write(tmp_path, "a.csv", report_bytes()), mapping="salesforce_report_ja")
    state = db_state()
    resaved = [
        r.replace("令和6年4月1日", "2024/4/1").replace("R6.5.15", "2024-05-15").replace("\\1,200,000", "1,200,000")
        for r in REPORT_ROWS
    ]
    again = import_run(
        actor=None, kind="deals", path=write(tmp_path, "b.csv", report_bytes(resaved)), mapping="salesforce_report_ja"
    )
    assert again.created == 0
    assert again.unchanged == 5
    assert db_state() == state


def test_a_bad_value_names_file_row_column_and_value_and_writes_nothing(tmp_path: Path) -> None:
    rows = [*REPORT_ROWS[:2], REPORT_ROWS[2].replace("120万円", "百二十万円"), *REPORT_ROWS[3:]]
    state = db_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "bad.csv", report_bytes(rows)), mapping="salesforce_report_ja")
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == ("bad.csv", 4, "金額", "百二十万円")
    assert "not a number" in problem.reason
    assert db_state() == state


def test_the_preview_shows_the_names_that_will_be_one_account_before_anything_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", report_bytes())
    before = db_state()
    preview = preview_rows(path, mapping_load("salesforce_report_ja", kind="deals"), name="r.csv", timezone="Asia/Tokyo")
    notes = "\n".join(preview.notes)
    assert "株式会社ABC商事 / (株)ABC商事" in notes  # NFKC has made the full-width and ㈱ spellings these two
    assert "山田 太郎 / 山田太郎" in notes  # the ideographic space is a space after NFKC; no space at all is matched by key
    assert db_state() == before


def test_the_column_picker_matches_japanese_headers_by_itself() -> None:
    header = ["商談名", "取引先名", "金額", "完了予定日", "フェーズ", "確度（％）", "メモ"]
    rows = {r.field: r for r in column_picker('kind = "deals"\n[columns]\n', "deals", header, {})}
    picked = {f: rows[f].selected for f in ("name", "account", "amount", "closed_on", "stage", "probability")}
    assert picked == {
        "name": "商談名", "account": "取引先名", "amount": "金額", "closed_on": "完了予定日", "stage": "フェーズ",
        "probability": "確度（％）",
    }  # fmt: skip
    assert all(rows[f].guessed and rows[f].shown == "" for f in picked), "a guess is a change the page saves"
    assert rows["external_id"].selected == ""


def workbook(tmp_path: Path, *, subtotal: bool = False) -> Path:
    """A workbook as it is kept by hand: a cover sheet, a title and a date above the header, an account
    name merged down over its deals, serial dates, a percent cell, yen as text and a total row."""
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "表紙"
    cover["A1"] = "2024年度 商談一覧"
    ws = book.create_sheet("商談")
    ws["A1"] = "商談一覧(2024年4月)"
    ws["A2"] = "作成日: 2024/04/05"
    header = ["商談ID", "取引先名", "商談名", "金額", "フェーズ", "確度", "作成日", "完了予定日", "所有者"]
    ws.append([])
    ws.append(header)  # row 4
    ws.append(["Ｊ－００１", "株式会社ABC商事", "新規", 1200000, "成立", 1, date(2024, 4, 1), date(2024, 5, 1), "山田 太郎"])
    ws.append(["J-002", None, "保守", "￥３５０，０００", "交渉/レビュー", 0.6, 45383, "令和6年6月30日", "山田 太郎"])
    ws["F5"].number_format = ws["F6"].number_format = "0%"  # percent cells: Excel shows 100% and 60%, they hold 1 and 0.6
    ws.merge_cells("B5:B6")
    if subtotal:
        ws.append(["", "小計", "", 1550000])
        ws.append(["J-003", "テスト工業", "導入", 500000, "見込み", 10, date(2024, 4, 1), date(2024, 8, 1), "佐藤 健"])
    ws.append(["合計", None, None, 1550000])
    ws.append(["※ 金額は税抜"])
    path = tmp_path / "商談一覧.xlsx"
    book.save(path)
    return path


XLSX_MAPPING = """kind = "deals"
[file]
sheet = "商談"
[columns]
external_id = "商談ID"
account = "取引先名"
name = "商談名"
owner = "所有者"
amount = "金額"
stage = "フェーズ"
status = "フェーズ"
probability = "確度"
opened_on = "作成日"
closed_on = "完了予定日"
[values.status]
"成立" = "won"
"交渉/レビュー" = "open"
"見込み" = "open"
"""


def test_a_workbook_as_it_is_kept_imports_with_its_title_merged_cells_and_total_row(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(XLSX_MAPPING, encoding="utf-8")
    summary = import_run(actor=None, kind="deals", path=workbook(tmp_path), mapping=str(mapping))
    assert summary.created == 2
    assert summary.problem_count == 0
    first, second = Deal.objects.get(external_id="J-001"), Deal.objects.get(external_id="J-002")
    assert second.account_id == first.account_id, "the merged account cell fills both rows"
    assert second.amount == Decimal(350_000)
    assert second.opened_on == date(2024, 4, 1)
    assert second.expected_close_on == date(2024, 6, 30)
    assert first.probability == 100, "100% is 100, never probability 1"
    assert second.probability == 60, "a percent cell (0.6 shown as 60%) is 60, never 0.6 or 1"
    notes = "\n".join(summary.notes)
    assert "the header is row 4" in notes
    assert "rows 1, 2 above it" in notes
    assert "rows 7, 8 at the foot" in notes


def test_a_grouped_report_with_subtotals_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(XLSX_MAPPING, encoding="utf-8")
    state = db_state()
    with pytest.raises(ImportFileError) as caught:
        import_run(actor=None, kind="deals", path=workbook(tmp_path, subtotal=True), mapping=str(mapping))
    assert "row 7" in str(caught.value)
    assert "details only" in str(caught.value)
    assert db_state() == state


def test_a_header_row_can_be_chosen(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(XLSX_MAPPING.replace('sheet = "商談"', 'sheet = "商談"\nheader_row = 2'), encoding="utf-8")
    with pytest.raises(ImportFileError) as caught:
        import_run(actor=None, kind="deals", path=workbook(tmp_path), mapping=str(mapping))
    assert "missing required column" in str(caught.value)
    assert "作成日: 2024/04/05" in str(caught.value)


def test_a_total_row_followed_by_more_data_is_refused_naming_the_total_row(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(XLSX_MAPPING, encoding="utf-8")
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["商談"].append(["J-009", "テスト工業", "追加", 1000, "見込み", 10, date(2024, 4, 1), date(2024, 8, 1), "佐藤 健"])
    book.save(path)
    with pytest.raises(ImportFileError) as caught:
        import_run(actor=None, kind="deals", path=path, mapping=str(mapping))
    assert "row 7 (合計)" in str(caught.value)


def test_a_csv_whose_last_line_is_one_cell_right_after_the_data_is_not_taken_for_a_footer(tmp_path: Path) -> None:
    rows = [*REPORT_ROWS, "孤立行"]  # no blank line above it: a broken row, reported, not a footer left out
    with pytest.raises(ImportInvalid) as caught:
        import_run(
            actor=None, kind="deals", path=write(tmp_path, "r.csv", report_bytes(rows, footer=[])), mapping="salesforce_report_ja"
        )
    assert caught.value.problems[0].row == 7
