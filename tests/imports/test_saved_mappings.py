"""Saved mappings: a manager saves the review page's mapping under a name and picks it again (web, API, CLI)."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from kokyaku.crm.models import Deal
from kokyaku.imports.mapping import mapping_set_columns
from kokyaku.imports.models import SavedMapping
from kokyaku.imports.services import mapping_save
from kokyaku.users.services import api_token_create
from tests.imports.conftest import picker_form, web_import

EXPORT = "商談ID,顧客,状態,開始日,完了日\nJ-1,北陸精機,won,2024-04-01,2024-05-10\n"
PICKS: dict[str, str] = {
    "external_id": "商談ID",
    "account": "顧客",
    "status": "状態",
    "opened_on": "開始日",
    "closed_on": "完了日",
}
GENERIC = (Path(__file__).resolve().parents[2] / "kokyaku/imports/mappings/generic/deals.toml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: object) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


def _upload(client: Client, text: str, mapping: str = "generic", name: str = "export.csv") -> str:
    response = client.post(
        reverse("imports:start"), {"kind": "deals", "mapping": mapping, "file": SimpleUploadedFile(name, text.encode())}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


@pytest.mark.django_db(transaction=True)  # the import is a job run by a worker thread
def test_a_manager_saves_the_picked_mapping_and_picks_it_on_the_next_upload(manager_client: Client, manager: User) -> None:
    review = _upload(manager_client, EXPORT)
    html = manager_client.get(review).content.decode()
    form = {**picker_form(html, PICKS), "save_as": "weekly_export"}
    saved_page = manager_client.post(review + "save-mapping/", form, follow=True).content.decode()
    assert "Mapping saved as weekly_export" in saved_page
    saved = SavedMapping.objects.get(kind="deals", name="weekly_export")
    assert 'external_id = "商談ID"' in saved.text
    assert saved.updated_by == manager

    start = manager_client.get(reverse("imports:start")).content.decode()
    assert '<option value="saved:deals:weekly_export">weekly_export · Deals</option>' in start
    review2 = _upload(manager_client, EXPORT.replace("J-1", "J-2"), mapping="saved:deals:weekly_export")
    page = manager_client.get(review2).content.decode()
    assert 'data-testid="import-preview"' in page  # fits at once: no picking this time
    assert 'value="weekly_export"' in page  # saving again updates it
    job, _done = web_import(manager_client, review2 + "import/", {"mapping_text": saved.text})
    assert job.state == "done", job.error
    assert Deal.objects.filter(external_id="J-2").exists()


def test_a_saved_mapping_for_another_kind_is_refused_on_upload(manager_client: Client, manager: User) -> None:
    SavedMapping.objects.create(kind="accounts", name="crm_accounts", text='kind = "accounts"\n')
    response = manager_client.post(
        reverse("imports:start"),
        {"kind": "deals", "mapping": "saved:accounts:crm_accounts", "file": SimpleUploadedFile("d.csv", EXPORT.encode())},
    )
    assert response.status_code == 400
    assert "The saved mapping crm_accounts is for Accounts." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Weekly Export", "A mapping name is 1 to 60 lowercase letters"),
        ("salesforce", "'salesforce' is a built-in mapping's name"),
        ("ok_name", "not valid TOML"),
    ],
)
def test_a_bad_name_or_mapping_is_refused_and_nothing_saved(manager: User, name: str, message: str) -> None:
    text = "kind = [" if name == "ok_name" else GENERIC
    with pytest.raises(ValidationError, match=re.escape(message)):
        mapping_save(actor=manager, kind="deals", name=name, text=text)
    assert not SavedMapping.objects.exists()


def test_a_rep_cannot_save_a_mapping(strong_rep: object) -> None:
    with pytest.raises(PermissionDenied):
        mapping_save(actor=User.objects.get(username="tanaka"), kind="deals", name="mine", text=GENERIC)


def test_the_api_and_the_command_line_take_a_saved_mapping_by_name(manager: User, tmp_path: Path) -> None:
    mapping_save(
        actor=manager, kind="deals", name="weekly_export", text=mapping_set_columns(GENERIC, dict[str, str | None](PICKS))
    )
    _token, plain = api_token_create(user=manager, name="nightly")
    api = Client(headers={"Authorization": f"Bearer {plain}"})
    answer = api.post("/api/imports/deals", {"file": SimpleUploadedFile("e.csv", EXPORT.encode()), "mapping": "weekly_export"})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["created"], answer.json()["mapping"]) == (1, "weekly_export")
    unknown = api.post("/api/imports/deals", {"file": SimpleUploadedFile("e.csv", EXPORT.encode()), "mapping": "nope"})
    assert (
        "there are: generic, salesforce, hubspot, salesforce_report, salesforce_report_ja, kintone, weekly_export"
        in unknown.json()["detail"]
    )

    path = tmp_path / "again.csv"
    path.write_text(EXPORT.replace("J-1", "J-3"), encoding="utf-8")
    out = StringIO()
    call_command("import_data", "deals", str(path), "--mapping", "weekly_export", stdout=out, stderr=StringIO())
    assert "(mapping weekly_export)" in out.getvalue()
    assert Deal.objects.filter(external_id="J-3").exists()
