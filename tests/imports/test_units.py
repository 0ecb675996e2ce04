"""Amounts given in units: a mapping's [scale] per money field, and the unit a column header states
(金額（千円）, Amount ($000), Revenue (in millions)) read when [scale] is silent, said in the notes."""

from __future__ import annotations

import html as html_lib
import io
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kokyaku.crm.models import Account, Deal
from kokyaku.imports.errors import ImportFileError
from kokyaku.imports.i18n import translated
from kokyaku.imports.japanese import header_unit, header_without_unit, money
from kokyaku.imports.mapping import mapping_parse, mapping_set_scale
from kokyaku.imports.models import SavedMapping
from kokyaku.imports.preview import column_picker, picker_scales
from kokyaku.imports.services import import_run
from kokyaku.imports.validate import chunk_check, columns_resolve
from tests.imports.conftest import DATASETS, picker_form, web_import, write

ROOT = Path(__file__).resolve().parents[2]
DEALS = (
    'kind = "deals"\n[columns]\nexternal_id = "ID"\naccount = "顧客"\nstatus = "状態"\nopened_on = "開始日"\n'
    'amount = "金額（千円）"\n'
)
POSITIVE = "[scale] amount must be a positive number (1000 for amounts in thousands, 1 to read the numbers as they are)"
THOUSANDS = 'ID,顧客,状態,開始日,金額（千円）\nJ-1,北陸精機,open,2024-04-01,"1,200"\nJ-2,北陸精機,open,2024-04-03,300.5\n'


@pytest.mark.parametrize(
    ("header", "unit", "factor"),
    [
        ("金額（千円）", "千円", 1_000),  # full-width brackets
        ("売上(百万円)", "百万円", 1_000_000),
        ("受注額[万円]", "万円", 10_000),
        ("受注額［億円］", "億円", 100_000_000),  # full-width square brackets
        ("売上高【千円】", "千円", 1_000),
        ("金額（単位：千円）", "千円", 1_000),
        ("Revenue (in millions)", "in millions", 1_000_000),
        ("Amount ($000)", "$000", 1_000),
        ("Sales (USD k)", "USD k", 1_000),
        ("Revenue (USD millions)", "USD millions", 1_000_000),
        ("Revenue in thousands", "in thousands", 1_000),
    ],
)
def test_a_header_that_states_a_unit_gives_it(header: str, unit: str, factor: int) -> None:
    assert header_unit(header) == (unit, factor)


@pytest.mark.parametrize("header", ["金額", "金額（円）", "Amount (USD)", "Amount", "Revenue (millions", "Mill (k) total"])
def test_a_header_without_a_multiple_gives_none(header: str) -> None:
    assert header_unit(header) is None


def test_a_header_without_its_unit_is_the_column_name() -> None:
    assert [header_without_unit(h) for h in ("金額（千円）", "Revenue (in millions)", "Amount")] == ["金額", "Revenue", "Amount"]


def test_a_cell_that_states_its_unit_is_read_by_it_not_by_the_columns() -> None:
    assert money("1,200千円", 1_000) == 1_200_000  # not 1,200,000,000
    assert money("1.2百万円") == 1_200_000
    assert money("1,200", 1_000) == 1_200_000
    assert money("△5", 1_000) == -5_000
    assert money("¥1,200", 1_000) == 1_200_000  # ¥ and 円 name the currency, not a multiple


def _checked(text: str, csv: str) -> tuple[pd.DataFrame, list[str]]:
    mapping = mapping_parse(text, kind="deals")
    frame = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    frame.index = frame.index + 2
    columns = columns_resolve(list(frame.columns), mapping, file="f.csv")
    checked = chunk_check(frame, mapping, columns, file="f.csv", timezone="Asia/Tokyo")
    assert checked.problems == []
    return checked.data, [translated(n) for n in columns.notes]


def test_a_thousands_header_scales_the_amounts_and_says_so() -> None:
    data, notes = _checked(DEALS, THOUSANDS)
    assert data["amount"].tolist() == [1_200_000, 300_500]
    assert notes == ["amount: column 金額（千円） says 千円: read ×1,000; set [scale] amount = 1 to read the numbers as they are"]
    with translation.override("ja"):
        (japanese,) = _checked(DEALS, THOUSANDS)[1]
    for part in ("列 金額（千円） の見出しに 千円", "×1,000", "[scale] amount = 1"):
        assert part in japanese
    assert "column" not in japanese  # translated, not the English text


def test_an_explicit_scale_wins_over_the_header() -> None:
    data, notes = _checked(DEALS + "[scale]\namount = 1\n", THOUSANDS)
    assert data["amount"].tolist() == [1_200, 300.5]
    assert notes == []
    data, notes = _checked(DEALS + "[scale]\namount = 10_000\n", THOUSANDS)
    assert data["amount"].tolist() == [12_000_000, 3_005_000]


def test_a_cell_with_its_own_unit_is_not_scaled_twice() -> None:
    csv = (
        "ID,顧客,状態,開始日,金額（千円）\nJ-1,A,won,2024-04-01,1200千円\nJ-2,A,won,2024-04-01,1200\nJ-3,A,won,2024-04-01,3万円\n"
    )
    data, _notes = _checked(DEALS, csv)
    assert data["amount"].tolist() == [1_200_000, 1_200_000, 30_000]


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ("amount = 0", f"mapping m.toml: {POSITIVE}; got 0"),
        ("amount = -1000", f"mapping m.toml: {POSITIVE}; got -1000"),
        ('amount = "千円"', f"mapping m.toml: {POSITIVE}; got '千円'"),
        ("amount = true", "got True"),
        ("amount = inf", "got inf"),
        ("name = 1000", "mapping m.toml: [scale] 'name' is not a money field of deals; these are: amount, probability"),
    ],
)  # fmt: skip
def test_a_bad_scale_is_refused_naming_mapping_key_and_value(scale: str, message: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        mapping_parse(DEALS + "[scale]\n" + scale + "\n", name="m.toml", kind="deals")
    assert message in str(caught.value)


def test_scale_must_be_a_table_and_each_kind_has_its_money_fields() -> None:
    with pytest.raises(ImportFileError, match=r"\[scale\] must be a table"):
        mapping_parse("scale = 1000\n" + DEALS, name="m.toml", kind="deals")
    purchases = 'kind = "purchases"\n[columns]\ninvoice = "i"\naccount = "a"\ndate = "d"\nquantity = "q"\nunit_price = "p"\n'
    assert mapping_parse(purchases + "[scale]\nunit_price = 1000\n", kind="purchases").scale == {"unit_price": 1000}
    with pytest.raises(ImportFileError, match="'quantity' is not a money field of purchases; these are: unit_price, amount"):
        mapping_parse(purchases + "[scale]\nquantity = 1000\n", kind="purchases")


def test_probability_scale_is_a_synonym_of_scale_probability() -> None:
    old = mapping_parse(DEALS + "[options]\nprobability_scale = 100\n", kind="deals")
    new = mapping_parse(DEALS + "[scale]\nprobability = 100\n", kind="deals")
    assert old.probability_scale == new.probability_scale == 100
    assert old.scale == new.scale == {"probability": 100}


@pytest.mark.django_db
def test_an_import_reads_a_thousands_header_and_notes_it(tmp_path: Path) -> None:
    """On SQLite and on PostgreSQL (DATABASE_URL=postgres://...): the amounts stored in yen."""
    path = write(tmp_path, "案件.csv", THOUSANDS)
    mapping = write(tmp_path, "m.toml", DEALS)
    summary = import_run(actor=None, kind="deals", path=path, mapping=str(mapping))
    assert sorted(Deal.objects.values_list("external_id", "amount")) == [("J-1", Decimal(1_200_000)), ("J-2", Decimal(300_500))]
    assert "amount: column 金額（千円） says 千円: read ×1,000" in " ".join(map(translated, summary.notes))
    assert connection.vendor in {"sqlite", "postgresql"}


@pytest.mark.django_db
def test_purchases_in_thousands_come_to_the_right_total(tmp_path: Path) -> None:
    csv = '伝票,顧客,日付,数量,単価（千円）\nI-1,北陸精機,2024-04-01,2,"1,500"\nI-1,北陸精機,2024-04-01,1,250\n'
    text = (
        'kind = "purchases"\n[columns]\ninvoice = "伝票"\naccount = "顧客"\ndate = "日付"\nquantity = "数量"\n'
        'unit_price = "単価（千円）"\n'
    )
    summary = import_run(
        actor=None, kind="purchases", path=write(tmp_path, "p.csv", csv), mapping=str(write(tmp_path, "p.toml", text))
    )
    assert summary.created == 1
    assert Deal.objects.get().amount == Decimal(3_250_000)  # a purchase is a won deal: 2 x 1,500,000 + 250,000


@pytest.mark.django_db
def test_maven_accounts_with_revenue_in_millions_are_stored_in_dollars(tmp_path: Path) -> None:
    shipped = ROOT / "docs" / "mappings" / "maven_crm_accounts.toml"
    assert mapping_parse(shipped.read_text(encoding="utf-8"), kind="accounts").scale == {"annual_revenue": 1_000_000}
    maven_style = (
        "account,sector,revenue,employees,office_location\n"
        "Acme Corporation,technolgy,1100.04,2822,United States\nBetasoloin,medical,251.41,495,United States\n"
    )
    summary = import_run(actor=None, kind="accounts", path=write(tmp_path, "accounts.csv", maven_style), mapping=str(shipped))
    assert summary.created == 2
    assert summary.notes == []  # the header says no unit: [scale] alone says it
    assert dict(Account.objects.values_list("name", "annual_revenue")) == {
        "Acme Corporation": Decimal("1100040000.00"),
        "Betasoloin": Decimal("251410000.00"),
    }
    real = DATASETS / "maven_crm" / "accounts.csv"
    if real.exists():
        import_run(actor=None, kind="accounts", path=real, mapping=str(shipped))
        assert Account.objects.get(name="Acme Corporation").annual_revenue == Decimal("1100040000.00")


def test_the_picker_shows_a_headers_unit_and_an_explicit_scale() -> None:
    header = ["ID", "顧客", "金額（千円）"]
    rows = {r.field: r for r in column_picker('kind = "deals"\n', "deals", header, {})}
    amount = rows["amount"]
    assert (amount.selected, amount.guessed) == ("金額（千円）", True)  # 金額 matched with its unit left out
    assert (amount.money, amount.unit, amount.scale, amount.scale_written) == (True, "千円", "1000", "")
    assert (rows["external_id"].money, rows["external_id"].scale) == (False, "")
    rows = {r.field: r for r in column_picker(DEALS + "[scale]\namount = 1\n", "deals", header, {})}
    assert (rows["amount"].unit, rows["amount"].scale, rows["amount"].scale_written) == ("千円", "1", "1")


def test_the_picker_writes_only_a_changed_scale() -> None:
    form = {"scale__amount": "1000", "initial_scale__amount": "", "scale__probability": "5", "initial_scale__probability": ""}
    assert picker_scales(form, "deals") == {"amount": 1000}  # probability is no money field
    assert picker_scales({"scale__amount": "1", "initial_scale__amount": "1"}, "deals") == {}
    assert picker_scales({"scale__amount": "", "initial_scale__amount": "1000"}, "deals") == {"amount": None}
    text = mapping_set_scale(DEALS + "[scale]\namount = 1   # as written\n", {"amount": 1000.0})
    assert "amount = 1000   # as written" in text
    assert "[scale]" not in mapping_set_scale(DEALS, {"amount": None})


def _toml(page: str) -> str:
    shown = re.search(r'<textarea id="mapping_text"[^>]*>(.*?)</textarea>', page, re.S)
    assert shown is not None
    return html_lib.unescape(shown[1])


@pytest.fixture
def _data_dir(tmp_path: Path, settings: object) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


@pytest.mark.usefixtures("_data_dir")
@pytest.mark.django_db(transaction=True)  # the import is a job run by a worker thread
def test_the_picker_applies_and_saves_a_headers_unit(manager_client: Client) -> None:
    upload = manager_client.post(
        reverse("imports:start"),
        {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile("案件.csv", THOUSANDS.encode("cp932"))},
    )
    review = str(upload["Location"])
    html = manager_client.get(review).content.decode()
    assert "The column header says 千円" in html
    assert re.search(r'name="scale__amount"[^>]*>.*?<option value="1000" selected>', html, re.S)
    picks = {"external_id": "ID", "account": "顧客", "status": "状態", "opened_on": "開始日", "amount": "金額（千円）"}
    form = picker_form(html, picks)
    assert (form["scale__amount"], form["initial_scale__amount"]) == ("1000", "")  # the header's unit, selected
    # "as the column header says": no [scale] yet; the preview reads the header's unit and says so
    preview = manager_client.post(review + "preview/", {**form, "scale__amount": ""}).content.decode()
    assert 'data-testid="import-preview"' in preview, re.sub(r"\s+", " ", preview)[-3000:]
    assert "amount: column 金額（千円） says 千円: read ×1,000" in preview  # the preview's notes
    assert "<td>1,200,000</td>" in preview
    assert "scale" not in tomllib.loads(_toml(preview))
    # the page still selects ×1,000 (the header's): the next update writes it, and the TOML then decides
    preview = manager_client.post(review + "preview/", picker_form(preview, {})).content.decode()
    assert tomllib.loads(_toml(preview))["scale"] == {"amount": 1000}
    assert "the TOML&#x27;s [scale] decides" in preview or "the TOML's [scale] decides" in preview
    assert "<td>1,200,000</td>" in preview
    assert "says 千円: read" not in preview
    saved = manager_client.post(review + "save-mapping/", {**picker_form(preview, {}), "save_as": "yen_thousands"})
    assert saved.status_code == 200
    assert tomllib.loads(SavedMapping.objects.get(name="yen_thousands").text)["scale"] == {"amount": 1000}
    job, _done = web_import(manager_client, review + "import/", picker_form(preview, {}))
    assert job.state == "done", job.error
    assert sorted(Deal.objects.values_list("external_id", "amount")) == [("J-1", Decimal(1_200_000)), ("J-2", Decimal(300_500))]


@pytest.mark.django_db
def test_a_builtin_mapping_finds_its_column_under_a_header_with_a_unit(tmp_path: Path) -> None:
    """kintone's mapping names 金額; an export whose header says 金額（千円） is read in thousands, not left out."""
    csv = (
        "レコード番号,顧客名,案件名,担当者,金額（千円）,ステータス,作成日時,受注予定日\n"
        '7,北陸精機,更新,山田,"1,500",商談中,2024-04-01 09:00,2024-06-30\n'
    )
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "kintone.csv", csv), mapping="kintone")
    assert summary.created == 1
    assert Deal.objects.get().amount == Decimal(1_500_000)
    assert "amount: column 金額（千円） says 千円: read ×1,000" in " ".join(map(translated, summary.notes))
