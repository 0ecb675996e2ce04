"""Import messages in the reader's language: the review page in Japanese shows Japanese problems naming
file, row, column and value; English pages, the CLI and the API (without Accept-Language) stay English."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kokyaku.crm.models import Deal
from kokyaku.imports.errors import ImportFileError, ImportInvalid, Message, Problem, gettext_noop
from kokyaku.imports.i18n import field_label, mapping_label, translated
from kokyaku.imports.mapping import BUILTIN_DIR
from kokyaku.imports.reader import open_table
from kokyaku.users.services import api_token_create
from tests.imports.conftest import DEALS_HEADER, deals_csv, web_check, write


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: object) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


def _in(client: Client, language: str) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _upload(client: Client, data: bytes, *, name: str = "deals.csv") -> str:
    response = client.post(
        reverse("imports:start"), {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def _generic_deals() -> str:
    return (BUILTIN_DIR / "generic" / "deals.toml").read_text(encoding="utf-8")


def _validate(client: Client, data: bytes, *, mapping: str | None = None, name: str = "deals.csv") -> str:
    review = _upload(client, data, name=name)
    _job, response = web_check(client, review, {"mapping_text": mapping or _generic_deals()})  # a job
    return str(response.content.decode())


def _cell_row(html: str, row: int) -> str:
    """The problems table's row for a source row, as text between its <tr> tags."""
    marker = f'<td class="num">{row}</td>'
    start = html.index(marker)
    return html[start : html.index("</tr>", start)]


# --- the review page, Japanese and English -----------------------------------------------------


@pytest.mark.django_db(transaction=True)  # validating is a job: a worker thread reads what the test wrote
@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("ja", "日付として読めません（ISO 8601 の形式、例: 2026-04-01）"),
        ("en", "not a date (expected ISO 8601, e.g. 2026-04-01)"),
    ],
)
def test_a_bad_date_on_a_row_is_explained_in_the_page_language(manager_client: Client, language: str, reason: str) -> None:
    html = _validate(_in(manager_client, language), deals_csv(4, bad_row=3, bad_value="2024/13/01").encode())
    row = _cell_row(html, 3)
    assert "<td>closed_on</td>" in row
    assert "<code>2024/13/01</code>" in row
    assert reason in row
    assert not Deal.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ja",
            "data.csv: 必須の列 &#x27;opened_on&#x27;（opened_on 用） がありません。"
            "ファイルにある列: external_id, account, status",
        ),
        (
            "en",
            "data.csv: missing required column &#x27;opened_on&#x27; (for opened_on); the file has: external_id, account, status",
        ),
    ],
)
def test_a_missing_column_names_the_file_and_the_column(manager_client: Client, language: str, expected: str) -> None:
    review = _upload(_in(manager_client, language), b"external_id,account,status\nD1,A1,won\n", name="data.csv")
    html = manager_client.get(review).content.decode()
    assert expected in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "photo.csv は CSV でも XLSX でもありません（バイナリデータを含んでいます）"),
        ("en", "photo.csv is not a CSV or XLSX file (it holds binary data)"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_in_the_page_language(manager_client: Client, language: str, expected: str) -> None:
    review = _upload(_in(manager_client, language), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", name="photo.csv")
    response = manager_client.get(review)
    assert response.status_code == 400
    assert expected in response.content.decode()


@pytest.mark.django_db(transaction=True)  # validating is a job: a worker thread reads what the test wrote
@pytest.mark.parametrize(
    ("language", "reason", "summary"),
    [
        ("ja", "外部IDが重複しています: 2 行が同じ値です（最初は 2 行目）", "問題が 2 件見つかりました。"),
        ("en", "duplicate external id: 2 rows have it (first on row 2)", "2 problems found."),
    ],
)
def test_a_duplicate_id_names_both_rows(manager_client: Client, language: str, reason: str, summary: str) -> None:
    text = DEALS_HEADER + "D1,A1,Tanaka,x,4,Won,won,2024-01-01,2024-02-01\nD1,A2,Tanaka,y,5,Won,won,2024-01-01,2024-02-01\n"
    html = _validate(_in(manager_client, language), text.encode())
    assert summary in html
    assert reason in _cell_row(html, 2)
    assert reason in _cell_row(html, 3)
    assert "<code>D1</code>" in _cell_row(html, 3)


@pytest.mark.django_db(transaction=True)  # validating is a job: a worker thread reads what the test wrote
@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("ja", "status の値として不明です。マッピングにある値: Closed Won（[values.status] に追加してください）"),
        ("en", "unknown status value; the mapping knows: Closed Won (add it under [values.status])"),
    ],
)
def test_an_unknown_stage_points_at_the_values_table(manager_client: Client, language: str, reason: str) -> None:
    mapping = (
        'kind = "deals"\n[columns]\nexternal_id = "Id"\naccount = "AccountId"\nstatus = "StageName"\nopened_on = "CreatedDate"\n'
        '[values.status]\n"Closed Won" = "won"\n'
    )
    data = b"Id,AccountId,StageName,CreatedDate\nO1,A1,Closed Won,2024-01-01\nO2,A1,Negotiation,2024-01-01\n"
    html = _validate(_in(manager_client, language), data, mapping=mapping)
    row = _cell_row(html, 3)
    assert "<td>StageName</td>" in row
    assert "<code>Negotiation</code>" in row
    assert reason in row


@pytest.mark.parametrize(
    ("language", "expected"), [("ja", "ファイルが空です（0 バイト）。"), ("en", "The file is empty (0 bytes).")]
)
def test_a_zero_byte_upload_is_refused_in_the_page_language(manager_client: Client, language: str, expected: str) -> None:
    response = _in(manager_client, language).post(
        reverse("imports:start"), {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile("e.csv", b"")}
    )
    assert response.status_code == 400
    assert expected in response.content.decode()


def test_the_preview_names_fields_and_the_mapping_in_japanese(manager_client: Client) -> None:
    review = _upload(_in(manager_client, "ja"), deals_csv(3).encode())
    html = manager_client.get(review).content.decode()
    header = html[html.index('data-testid="import-preview"') : html.index("</thead>", html.index('data-testid="import-preview"'))]
    assert "外部ID" in header
    assert ">external_id</code>" in header  # the code beside it, for people editing the TOML
    assert "generic" not in html.split("<textarea")[0].split('data-testid="import-review-form"')[1]
    assert "汎用（Kokyaku の列名）" in html
    start = manager_client.get(reverse("imports:start")).content.decode()
    assert "汎用（Kokyaku の列名）" in start
    assert "Salesforce" in start


def test_the_preview_names_fields_in_english(manager_client: Client) -> None:
    review = _upload(_in(manager_client, "en"), deals_csv(3).encode())
    html = manager_client.get(review).content.decode()
    assert "External id <code" in html
    assert "TOML, starting from the “Kokyaku generic columns” mapping" in html


# --- the API: English by default (as before), Japanese when asked ------------------------------


def _token_client(username: str, **headers: str) -> Client:
    _token, plain = api_token_create(user=User.objects.get(username=username), name="test")
    return Client(headers={"Authorization": f"Bearer {plain}", **headers})


BAD_AMOUNT = DEALS_HEADER + "D1,A1,Tanaka,x,-4,Won,won,2024-01-01,2024-02-01\n"


def test_the_api_answers_in_english_without_accept_language(manager: User) -> None:
    body = _token_client("sato").post("/api/imports/deals", {"file": SimpleUploadedFile("deals.csv", BAD_AMOUNT.encode())}).json()
    assert body["detail"] == (
        "1 problem found, nothing was written; first: deals.csv: row 2, column 'amount', value '-4': "
        "negative value not allowed. Fix the file or the mapping, or send skip_invalid=true to import the good rows."
    )  # the API's field, not the CLI's --skip-invalid
    assert body["problems"] == [
        {"file": "deals.csv", "row": 2, "column": "amount", "value": "-4", "reason": "negative value not allowed"}
    ]
    empty = _token_client("sato").post("/api/imports/deals", {"file": SimpleUploadedFile("e.csv", b"")}).json()
    assert empty["detail"] == "e.csv is empty (0 bytes); nothing was written"


def test_the_api_honours_accept_language(manager: User) -> None:
    client = _token_client("sato", **{"Accept-Language": "ja"})
    body = client.post("/api/imports/deals", {"file": SimpleUploadedFile("deals.csv", BAD_AMOUNT.encode())}).json()
    assert body["problems"][0]["reason"] == "負の値は使えません"
    assert body["detail"].startswith("問題が 1 件見つかったため、何も書き込まれていません。最初の問題: deals.csv の 2 行目")
    empty = client.post("/api/imports/deals", {"file": SimpleUploadedFile("e.csv", b"")}).json()
    assert empty["detail"] == "e.csv は空です（0 バイト）。何も書き込まれていません"


# --- the Message itself -------------------------------------------------------------------------


def test_a_message_is_its_english_text_and_survives_copies() -> None:
    inner = Message(gettext_noop("%(file)s is empty (0 bytes)"), file="a.csv")
    outer = Message(gettext_noop("%(file)s: %(error)s"), file="b.csv", error=inner)
    assert outer == "b.csv: a.csv is empty (0 bytes)"
    for twin in (copy.deepcopy(outer), pickle.loads(pickle.dumps(outer))):  # noqa: S301 - our own bytes
        assert isinstance(twin, Message)
        assert (twin, twin.msgid, twin.params["file"]) == (outer, outer.msgid, "b.csv")
    with translation.override("ja"):
        assert translated(outer) == "b.csv: a.csv は空です（0 バイト）"
        assert translated("plain text") == "plain text"
    with translation.override("en"):
        assert translated(outer) == str(outer)


def test_the_cli_text_of_problems_and_file_errors_is_unchanged(tmp_path: Path) -> None:
    problem = Problem(
        "d.csv", 3, "CloseDate", "2024/13/01", Message(gettext_noop("not a date (expected ISO 8601, e.g. 2026-04-01)"))
    )
    assert str(problem) == "d.csv: row 3, column 'CloseDate', value '2024/13/01': not a date (expected ISO 8601, e.g. 2026-04-01)"
    assert str(ImportInvalid([problem], 1)).startswith("1 problem found, nothing was written; first: d.csv: row 3")
    with pytest.raises(ImportFileError) as caught:
        open_table(write(tmp_path, "blank.csv", "\n\n"))
    assert str(caught.value) == "blank.csv is empty: no header row"
    with translation.override("ja"):
        assert translated(caught.value) == "blank.csv は空です（見出し行がありません）"


def test_field_and_mapping_labels() -> None:
    with translation.override("ja"):
        assert field_label("deals", "external_id") == "外部ID"
        assert field_label("purchases", "invoice") == "請求書番号"
        assert field_label("deals", "account_name") == "取引先名"
        assert mapping_label("generic") == "汎用（Kokyaku の列名）"
        assert mapping_label("generic (edited)") == "generic (edited)"
    with translation.override("en"):
        assert field_label("accounts", "annual_revenue") == "Annual revenue"
        assert field_label("purchases", "unit_price") == "Price per unit"
        assert mapping_label("hubspot") == "HubSpot"
