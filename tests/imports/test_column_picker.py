"""The review page's column picker: pick a file column per field; the mapping's TOML follows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kokyaku.crm.models import Deal
from kokyaku.imports.mapping import BUILTIN_DIR, mapping_parse, mapping_set_columns
from kokyaku.imports.preview import KEEP, column_picker, picker_changes
from tests.imports.conftest import picker_form, web_import

SALESFORCE = (BUILTIN_DIR / "salesforce" / "deals.toml").read_text(encoding="utf-8")


def test_setting_columns_touches_only_the_changed_lines() -> None:
    text = mapping_set_columns(
        SALESFORCE, {"external_id": "Opp Id", "closed_on": None, "lost_note": 'Why "lost"', "currency": "通貨"}
    )
    mapping = mapping_parse(text, kind="deals")
    assert mapping.columns["external_id"] == "Opp Id"
    assert "closed_on" not in mapping.columns
    assert (mapping.columns["lost_note"], mapping.columns["currency"]) == ('Why "lost"', "通貨")
    assert mapping.values == mapping_parse(SALESFORCE, kind="deals").values  # [values.status] untouched
    assert text.startswith("# Salesforce Opportunity export")  # the comments stay
    assert 'stage = "StageName"\n' in text  # so do the other entries, as written
    assert text.index('lost_note = "Why \\"lost\\""') < text.index("[values.status]")  # added inside [columns]


def test_a_mapping_without_columns_gets_the_table() -> None:
    text = mapping_set_columns('kind = "deals"\n', {"external_id": "id", "account": "顧客"})
    assert tomllib.loads(text)["columns"] == {"external_id": "id", "account": "顧客"}
    assert mapping_set_columns(text, {}) == text


def test_a_changed_entry_keeps_its_comment_and_an_inline_table_stays_inline() -> None:
    head, tail = 'kind = "deals"\n[columns]\n', '\n[values.status]\n"Won" = "won"\n'
    text = head + 'currency = "Curr"   # multi-currency orgs only\n' + tail
    assert mapping_set_columns(text, {"currency": "通貨", "account": "Acct"}) == (
        head + 'currency = "通貨"   # multi-currency orgs only\naccount = "Acct"\n' + tail
    )
    inline = 'kind = "deals"\ncolumns = { external_id = "Id", closed_on = "Closed" }\n'
    edited = mapping_set_columns(inline, {"closed_on": None, "status": "State"})
    assert tomllib.loads(edited)["columns"] == {"external_id": "Id", "status": "State"}
    assert edited.startswith('kind = "deals"\ncolumns = {')
    assert "[columns]" not in edited


def test_text_that_is_not_toml_comes_back_as_typed() -> None:
    broken = 'kind = "deals"\n[columns\nexternal_id = "Id"\n'
    assert mapping_set_columns(broken, {"external_id": "Opp Id"}) == broken


def test_the_picker_matches_columns_like_the_import_and_keeps_templates() -> None:
    header = ["ID", "AccountId", "StageName", "IsWon", "IsClosed", "createddate"]
    rows = {r.field: r for r in column_picker(SALESFORCE, "deals", header, {"ID": "006A", "createddate": "2024-01-05"})}
    assert (rows["external_id"].selected, rows["external_id"].example) == ("ID", "006A")  # "Id" matched ignoring case
    assert rows["opened_on"].selected == "createddate"
    assert (rows["status"].selected, rows["status"].written) == (KEEP, "{IsClosed}/{IsWon}")
    assert (rows["closed_on"].selected, rows["closed_on"].missing) == ("", True)  # CloseDate: not in this file
    assert (rows["lost_note"].selected, rows["lost_note"].missing) == ("", False)  # not mapped at all
    assert [r.field for r in rows.values() if r.required] == ["external_id", "account", "status", "opened_on"]


def test_the_picker_shows_constants_and_defaults() -> None:
    text = (
        'kind = "deals"\n[columns]\nopened_on = "engage_date"\n'
        '[constants]\ncurrency = "USD"\n[defaults]\nopened_on = "2017-12-31"\n'
    )
    rows = {r.field: r for r in column_picker(text, "deals", ["engage_date"], {})}
    assert (rows["currency"].constant, rows["currency"].selected) == ("USD", "")
    assert (rows["opened_on"].default, rows["opened_on"].selected) == ("2017-12-31", "engage_date")
    assert rows["account"].constant is None


def test_only_the_picks_that_changed_are_applied() -> None:
    form = {
        "column__external_id": "ID", "initial__external_id": "ID",  # untouched
        "column__closed_on": "Closed", "initial__closed_on": "",  # picked
        "column__owner": "", "initial__owner": "OwnerId",  # cleared
        "column__status": KEEP, "initial__status": KEEP,  # the template, kept
    }  # fmt: skip
    assert picker_changes(form, "deals") == {"closed_on": "Closed", "owner": None}


JAPANESE_EXPORT = (
    "商談ID,顧客,状態,開始日,完了日,金額\nJ-1,北陸精機,won,2024-04-01,2024-05-10,1200000\nJ-2,北陸精機,open,2024-04-03,,300000\n"
)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: object) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)  # the import is a job run by a worker thread
def test_a_manager_maps_a_japanese_export_with_the_picker_alone(manager_client: Client) -> None:
    upload = manager_client.post(
        reverse("imports:start"),
        {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile("案件.csv", JAPANESE_EXPORT.encode("cp932"))},
    )
    review = str(upload["Location"])
    page = manager_client.get(review)
    html = page.content.decode()
    assert page.status_code == 400  # the generic names are not in this file: said, and the picker offers its columns
    assert "missing required column" in html
    assert 'data-testid="column-picker"' in html
    assert '<option value="商談ID" data-example="J-1">商談ID</option>' in html
    assert set(re.findall(r'name="initial__\w+" value="([^"]*)"', html)) == {""}  # no generic column name is in this file
    picks = {
        "external_id": "商談ID",
        "account": "顧客",
        "status": "状態",
        "opened_on": "開始日",
        "closed_on": "完了日",
        "amount": "金額",
    }
    form = picker_form(html, picks)  # as the browser submits it, six columns picked
    preview = manager_client.post(review + "preview/", form)
    assert preview.status_code == 200, preview.content.decode()[:3000]
    assert 'data-testid="import-preview"' in preview.content.decode()
    assert "北陸精機" in preview.content.decode()
    job, _done = web_import(manager_client, review + "import/", form)
    assert job.state == "done", job.error
    assert sorted(Deal.objects.values_list("external_id", "status", "amount")) == [
        ("J-1", "won", 1200000),
        ("J-2", "open", 300000),
    ]
