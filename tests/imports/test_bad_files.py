"""Bad files: each gets a precise message and leaves the database exactly as it was."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kokyaku.crm.models import Deal
from kokyaku.imports.errors import ImportFileError, ImportInvalid
from kokyaku.imports.models import ImportRun
from kokyaku.imports.services import import_recorded, import_run
from tests.imports.conftest import DEALS_HEADER, db_state, deals_csv, write

pytestmark = pytest.mark.usefixtures("seeded")


def _xlsx_with_formula(path: Path, *, cached: str | None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["external_id", "name", "employees", "annual_revenue"])
    sheet.append(["A1", "Fuji Seiki", 120, 1000])
    sheet.append(["A2", "Aoba Labs", 30, "=C3*2"])
    book.save(path)
    if cached is not None:  # what Excel does on save: keep the formula and its last value
        with zipfile.ZipFile(path) as zin:
            files = {n: zin.read(n) for n in zin.namelist()}
        xml = files["xl/worksheets/sheet1.xml"].decode()
        xml, n = re.subn(r"<f>C3\*2</f><v\s*/>|<f>C3\*2</f><v></v>", f"<f>C3*2</f><v>{cached}</v>", xml)
        assert n == 1, xml
        files["xl/worksheets/sheet1.xml"] = xml.encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zout:
            for name, data in files.items():
                zout.writestr(name, data)
        path.write_bytes(buffer.getvalue())
    return path


def _expect(error: type[Exception], make: Callable[[Path], Path], kind: str, tmp_path: Path, **kwargs: object) -> str:
    before = db_state()
    path = make(tmp_path)
    with pytest.raises(error) as caught:
        import_run(actor=None, kind=kind, path=path, **kwargs)  # type: ignore[arg-type]
    assert db_state() == before
    return str(caught.value)


def test_a_file_in_the_wrong_encoding_names_the_line_and_changes_nothing(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,東京の案件,100,Won,won,2024-01-01,2024-02-01\n"
    message = _expect(
        ImportFileError, lambda p: write(p, "sjis.csv", text, encoding="cp932"), "deals", tmp_path, encoding="utf-8"
    )
    assert "sjis.csv: line 2 is not valid utf-8" in message
    assert "--encoding" in message


def test_an_undetectable_encoding_is_refused_with_advice(tmp_path: Path) -> None:
    data = (DEALS_HEADER + "D1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n").encode() + b"\xff\xfe\xfa\n"
    message = _expect(ImportFileError, lambda p: write(p, "odd.csv", data), "deals", tmp_path)
    assert "neither UTF-8 nor Shift_JIS" in message


def test_broken_quoting_names_the_row_where_the_quote_opened(tmp_path: Path) -> None:
    text = (
        DEALS_HEADER
        + 'D1,A1,Tanaka,"Deal one,100,Won,won,2024-01-01,2024-02-01\nD2,A1,Tanaka,x,1,Won,won,2024-01-01,2024-02-01\n'
    )
    message = _expect(ImportFileError, lambda p: write(p, "quotes.csv", text), "deals", tmp_path)
    assert "quotes.csv: broken CSV (a quoted value opened on row 2 is never closed)" in message


def test_a_row_with_too_many_fields_is_named(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\nD2,A1,Tanaka,x,1,000,Won,won,2024-01-01,2024-02-01\n"
    message = _expect(ImportFileError, lambda p: write(p, "fields.csv", text), "deals", tmp_path)
    assert "row 3 has 10 fields but the header has 9" in message


def test_a_bad_date_on_row_9999_is_reported_with_file_row_column_and_value(tmp_path: Path) -> None:
    before = db_state()
    path = write(tmp_path, "big.csv", deals_csv(10_000, bad_row=9_999))
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=path, chunk_rows=1_000)
    assert caught.value.problem_count == 1
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == ("big.csv", 9_999, "closed_on", "2017-13-45")
    assert "not a date" in problem.reason
    assert "row 9999, column 'closed_on', value '2017-13-45'" in str(caught.value)
    assert db_state() == before


def test_duplicate_ids_in_the_file_name_every_row(tmp_path: Path) -> None:
    text = DEALS_HEADER + "".join(f"D{i},A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n" for i in (1, 2, 1, 3, 1))
    before = db_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "dupes.csv", text))
    rows = [(p.row, p.value) for p in caught.value.problems]
    assert rows == [(2, "D1"), (4, "D1"), (6, "D1")]
    assert "3 rows have it (first on row 2)" in caught.value.problems[0].reason
    assert db_state() == before


def test_duplicate_ids_across_chunks_are_found_too(tmp_path: Path) -> None:
    text = deals_csv(2_500) + "D7,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n"
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "dupes.csv", text), chunk_rows=1_000)
    assert [p.row for p in caught.value.problems] == [9, 2_502]


def test_a_missing_required_column_lists_what_the_file_has(tmp_path: Path) -> None:
    text = "external_id,account,amount,status,closed_on\nD1,A1,100,won,2024-02-01\n"
    message = _expect(ImportFileError, lambda p: write(p, "cols.csv", text), "deals", tmp_path)
    assert "cols.csv: missing required column 'opened_on' (for opened_on)" in message
    assert "the file has: external_id, account, amount, status, closed_on" in message


def test_an_empty_file_and_a_header_only_file_are_refused(tmp_path: Path) -> None:
    assert "blank.csv is empty: no header row" in _expect(
        ImportFileError, lambda p: write(p, "blank.csv", "\n\n"), "deals", tmp_path
    )
    assert "header.csv has a header but no data rows" in _expect(
        ImportFileError, lambda p: write(p, "header.csv", DEALS_HEADER), "deals", tmp_path
    )


def test_a_zero_byte_upload_is_refused(tmp_path: Path) -> None:
    assert "zero.csv is empty (0 bytes)" in _expect(ImportFileError, lambda p: write(p, "zero.csv", b""), "deals", tmp_path)


def test_an_xlsx_formula_without_a_saved_value_is_refused_by_cell(tmp_path: Path) -> None:
    message = _expect(ImportFileError, lambda p: _xlsx_with_formula(p / "calc.xlsx", cached=None), "accounts", tmp_path)
    assert "calc.xlsx: cell D3 holds the formula =C3*2 with no saved value" in message


def test_an_xlsx_formula_with_a_saved_value_imports_that_value(tmp_path: Path) -> None:
    from kokyaku.crm.models import Account

    summary = import_run(actor=None, kind="accounts", path=_xlsx_with_formula(tmp_path / "saved.xlsx", cached="60"))
    assert summary.created == 2
    assert Account.objects.get(external_id="A2").annual_revenue == 60


def test_a_negative_amount_is_refused_with_its_row(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\nD2,A1,Tanaka,x,-5,Won,won,2024-01-01,2024-02-01\n"
    before = db_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "neg.csv", text))
    assert [str(p) for p in caught.value.problems] == ["neg.csv: row 3, column 'amount', value '-5': negative value not allowed"]
    assert db_state() == before


def test_a_currency_that_is_not_iso_4217_is_refused_and_lowercase_codes_are_read(tmp_path: Path) -> None:
    """Revenue counts deals in the company currency only: a "YEN" deal would silently vanish from it."""
    header = DEALS_HEADER.rstrip("\n") + ",currency\n"
    text = header + "D1,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01,usd\nD2,A1,Tanaka,x,5,Won,won,2024-01-01,2024-02-01,YEN\n"
    before = db_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "cur.csv", text))
    assert [str(p) for p in caught.value.problems] == [
        "cur.csv: row 3, column 'currency', value 'YEN': not an ISO 4217 currency code (for example JPY, USD or EUR)"
    ]
    assert db_state() == before
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "cur.csv", text.replace("YEN", "")))
    assert summary.created == 2
    assert dict(Deal.objects.filter(external_id__in=["D1", "D2"]).values_list("external_id", "currency")) == {
        "D1": "USD",
        "D2": "JPY",
    }


def test_an_unknown_stage_is_refused_and_the_mapping_is_named(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'kind = "deals"\n[columns]\nexternal_id = "id"\naccount = "acct"\nstatus = "stage"\nstage = "stage"\n'
        'opened_on = "opened"\n[values.status]\nWon = "won"\nLost = "lost"\nEngaging = "open"\n'
    )
    text = "id,acct,stage,opened\nD1,A1,Won,2024-01-01\nD2,A1,Negotiating,2024-01-01\n"
    before = db_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "stages.csv", text), mapping=str(mapping))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "stage", "Negotiating")
    assert "unknown status value" in problem.reason
    assert "[values.status]" in problem.reason
    assert db_state() == before


def test_an_unknown_status_without_a_value_map_lists_the_choices(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,100,Won,maybe,2024-01-01,\n"
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "s.csv", text))
    assert caught.value.problems[0].reason == "must be one of open, won, lost"


def test_a_bad_mapping_file_is_refused_before_reading(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text('kind = "deals"\n[columns]\nexternal_id = "id"\nvalue = "amount"\n')
    message = _expect(ImportFileError, lambda p: write(p, "d.csv", deals_csv(2)), "deals", tmp_path, mapping=str(mapping))
    assert "[columns] 'value' is not a deals field" in message


def test_every_problem_is_collected_not_just_the_first(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,abc,Won,won,01/02/2024,\nD2,,Tanaka,x,5,Won,won,2024-01-01,2024-02-01\n"
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "many.csv", text))
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "amount"), (2, "opened_on"), (3, "account")]
    assert caught.value.problems[2].reason == "account is required but empty"


def test_a_bad_byte_deep_in_the_file_after_rows_were_staged_changes_nothing(tmp_path: Path) -> None:
    # 8,000 good rows (past the 256 KB the encoding is detected from, and several chunks, whose
    # references created accounts A1..A49 already), then one line in Shift_JIS
    data = deals_csv(8_000).encode() + "D8000,A1,Tanaka,東京,1,Won,won,2024-01-01,2024-02-01\n".encode("cp932")
    assert len(data) > 256 * 1024
    before = db_state()
    with pytest.raises(ImportFileError) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "late.csv", data), chunk_rows=1_000)
    assert "late.csv: line 8002 is not valid utf-8" in str(caught.value)
    assert db_state() == before


def test_broken_quoting_in_a_late_chunk_changes_nothing(tmp_path: Path) -> None:
    text = deals_csv(3_500) + 'D9,A1,Tanaka,"never closed,1,Won,won,2024-01-01,2024-02-01\n' + deals_csv(10)[len(DEALS_HEADER) :]
    before = db_state()
    with pytest.raises(ImportFileError) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "late_quote.csv", text), chunk_rows=1_000)
    assert "late_quote.csv: broken CSV (a quoted value opened on row 3502 is never closed)" in str(caught.value)
    assert db_state() == before


# --- failures that must not cost memory or information (issue 17) ---


def _recorded(path: Path, **kwargs: object) -> tuple[str, ImportRun]:
    """Import through import_recorded (the CLI, API and web path); the one-line message and the history line."""
    with pytest.raises(ImportFileError) as caught:
        import_recorded(source="cli", actor=None, kind="deals", path=path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message, ImportRun.objects.latest("started_at")


def test_a_truncated_gzip_is_one_line_and_a_history_line(tmp_path: Path) -> None:
    whole = gzip.compress(deals_csv(40_000).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])  # an interrupted download
    before = db_state()
    message, run = _recorded(path)
    assert message.startswith("cut.csv.gz: broken gzip file after line ")
    assert run.outcome == ImportRun.Outcome.UNUSABLE
    assert "broken gzip file" in run.error
    assert db_state() == before


def test_a_nul_byte_after_the_first_256_kb_is_refused_by_line_and_never_stored(tmp_path: Path) -> None:
    lines = deals_csv(12_000).splitlines(keepends=True)
    assert sum(map(len, lines[:9_000])) > 256 * 1024
    lines[9_000] = lines[9_000].replace(",x,", ",bad\x00name,").replace("Deal ", "De\x00al ")
    path = write(tmp_path, "nul.csv", "".join(lines))
    before = db_state()
    message, run = _recorded(path)
    assert message == "nul.csv: line 9001 holds a NUL character (byte 0x00): the file is damaged or not text"
    assert run.outcome == ImportRun.Outcome.UNUSABLE
    assert db_state() == before
    assert all("\x00" not in name for name in Deal.objects.values_list("name", flat=True))


def test_a_one_line_gzip_bomb_is_refused_at_the_line_cap(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb") as out:  # 64 MB of one line, 64 KB on disk
        out.write(DEALS_HEADER.encode())
        block = b"x" * (1 << 20)
        for _ in range(64):
            out.write(block)
    message, run = _recorded(path)
    assert (
        message == "bomb.csv.gz: line 2 is longer than 1 MB: this is not a CSV export (or its line breaks are not \\n nor \\r\\n)"
    )
    assert run.outcome == ImportRun.Outcome.UNUSABLE


def test_a_gzip_that_unpacks_beyond_the_cap_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.IMPORT_MAX_UNPACKED_MB = 1
    path = write(tmp_path, "big.csv.gz", deals_csv(40_000))  # about 2 MB unpacked
    before = db_state()
    message, _run = _recorded(path)
    assert message == "big.csv.gz: the gzip file unpacks to more than 1 MB; split the file, or import it unpacked"
    assert db_state() == before


def test_a_huge_value_is_cut_in_messages_and_in_the_history(tmp_path: Path) -> None:
    huge = "長" * 300_000  # 900 KB (under the 1 MB line cap) in a 300-character field
    text = DEALS_HEADER + f"D1,A1,Tanaka,{huge},100,Won,won,2024-01-01,2024-02-01\n"
    with pytest.raises(ImportInvalid) as caught:
        import_recorded(source="cli", actor=None, kind="deals", path=write(tmp_path, "long.csv", text))
    problem = caught.value.problems[0]
    assert problem.value == "長" * 200 + "… (300,000 characters)"
    assert len(str(caught.value)) < 1_000
    run = ImportRun.objects.latest("started_at")
    assert len(json.dumps(run.details, ensure_ascii=False)) < 2_000


def test_rejected_duplicates_keep_their_values_in_the_rejects_file(tmp_path: Path) -> None:
    rows = [f"D{i},A1,Tanaka,deal {n},{100 + n},Won,won,2024-01-01,2024-02-01\n" for n, i in enumerate((1, 2, 1, 3))]
    rejects = tmp_path / "rejects.csv"
    summary = import_run(
        actor=None, kind="deals", path=write(tmp_path, "d.csv", DEALS_HEADER + "".join(rows)),
        skip_invalid=True, rejects_path=rejects, chunk_rows=2,
    )  # fmt: skip
    assert (summary.created, summary.rejected) == (2, 2)
    lines = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert lines[0][-3:] == ["row", "column", "reason"]
    assert lines[1][:5] == ["D1", "A1", "Tanaka", "deal 0", "100"]
    assert lines[2][:5] == ["D1", "A1", "Tanaka", "deal 2", "102"]
    assert [line[-3] for line in lines[1:]] == ["2", "4"]
    assert all("duplicate external id" in line[-1] for line in lines[1:])


def test_many_rejected_duplicates_go_out_in_batches_each_with_its_values_and_the_cache_comes_back(tmp_path: Path) -> None:
    """More refused rows than one re-read chunk (REREAD_ROWS) and one write batch (FLUSH_ROWS): every
    one is in the rejects file, in row order, with its own values; SQLite's cache size is put back."""
    from django.db import connection

    from kokyaku.imports.rejects import FLUSH_ROWS
    from kokyaku.imports.services import REREAD_ROWS

    half = REREAD_ROWS + FLUSH_ROWS + 7
    body = "".join(f"D{i},A1,Tanaka,deal {i},{100 + i},Won,won,2024-01-01,2024-02-01\n" for i in range(half))
    again = "".join(f"D{i},A1,Tanaka,again {i},{100 + i},Won,won,2024-01-01,2024-02-01\n" for i in range(half))
    cache = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cache = cur.execute("PRAGMA main.cache_size").fetchone()
    rejects = tmp_path / "rejects.csv"
    alone = "D-ALONE,A1,Tanaka,x,1,Won,won,2024-01-01,2024-02-01\n"
    summary = import_run(
        actor=None, kind="deals", path=write(tmp_path, "pairs.csv", DEALS_HEADER + body + alone + again),
        skip_invalid=True, rejects_path=rejects,
    )  # fmt: skip
    assert (summary.created, summary.rejected) == (1, 2 * half)
    lines = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))[1:]
    assert [int(line[-3]) for line in lines] == [*range(2, half + 2), *range(half + 3, 2 * half + 3)]
    assert [line[3] for line in lines] == [f"deal {i}" for i in range(half)] + [f"again {i}" for i in range(half)]
    if cache is not None:
        with connection.cursor() as cur:
            assert cur.execute("PRAGMA main.cache_size").fetchone() == cache


def test_the_encoding_advice_names_the_japanese_encodings(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,ｷｬﾝﾍﾟｰﾝ,100,Won,won,2024-01-01,2024-02-01\n"
    message = _expect(ImportFileError, lambda p: write(p, "u16.csv", text.encode("cp932")), "deals", tmp_path, encoding="utf-8")
    assert "cp932, euc-jp, utf-16" in message
