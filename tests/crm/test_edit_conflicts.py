"""Two people editing one account or deal: the second save is refused (409), nothing is lost, and the page says who and when."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kokyaku.crm.models import Account, Change, Deal, Rep
from kokyaku.imports.services import import_run

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db


def _form(client: Client, url: str, **headers: Any) -> dict[str, str]:
    """The edit form's fields as the browser would post them back, hidden version included."""
    page = client.get(url, **headers).content.decode()
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    fields.update(dict.fromkeys(re.findall(r'<input[^>]*name="(\w+)"(?![^>]*value=)[^>]*>', page), ""))
    for name, body in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def _post(client: Client, url: str, data: dict[str, str], **headers: Any) -> _MonkeyPatchedWSGIResponse:
    return client.post(url, data, **headers)


def test_the_second_of_two_account_edits_is_refused_naming_who_and_nothing_is_lost(
    strong_account: Account, rep_client: Client, manager_client: Client
) -> None:
    url = reverse("portfolio:account_edit", args=[strong_account.pk])
    mine, theirs = _form(rep_client, url), _form(manager_client, url)
    assert mine["version"] == theirs["version"] == "1"

    assert _post(manager_client, url, {**theirs, "name": "Fuji Seiki Holdings"}).status_code == 302
    refused = _post(rep_client, url, {**mine, "region": "Kansai"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    page = refused.content.decode()
    notice = page.split('data-testid="edit-conflict"')[1].split("</div>")[0]
    assert "Sato Kenji changed this account at" in notice  # the manager's rep name, and when
    assert "your version 1, now 2" in notice
    assert "Kansai" in notice  # what the rep typed is shown, not lost
    assert 'value="Fuji Seiki Holdings"' in page  # the form now holds the current values...
    assert 'name="version" value="2"' in page  # ...and the current version

    fresh = Account.objects.get(pk=strong_account.pk)
    assert (fresh.name, fresh.region, fresh.version) == ("Fuji Seiki Holdings", "", 2)  # the manager's edit stands
    assert list(Change.objects.values_list("field", "new")) == [("name", "Fuji Seiki Holdings")]

    again = _form(rep_client, url)  # the rep makes the change again, on the current version
    assert _post(rep_client, url, {**again, "region": "Kansai"}).status_code == 302
    fresh.refresh_from_db()
    assert (fresh.name, fresh.region, fresh.version) == ("Fuji Seiki Holdings", "Kansai", 3)


def test_the_conflict_message_is_in_japanese(strong_account: Account, rep_client: Client, manager_client: Client) -> None:
    url = reverse("portfolio:account_edit", args=[strong_account.pk])
    mine = _form(rep_client, url)
    assert _post(manager_client, url, {**_form(manager_client, url), "industry": "chemicals"}).status_code == 302
    refused = _post(rep_client, url, {**mine, "industry": "robotics"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert refused.status_code == 409
    notice = refused.content.decode().split('data-testid="edit-conflict"')[1].split("</div>")[0]
    assert "この顧客が変更されました" in notice
    assert "変更者: Sato Kenji" in notice
    assert "何も保存していません" in notice
    assert "入力した内容（未保存）" in notice
    assert Account.objects.get(pk=strong_account.pk).industry == "chemicals"


def test_two_deal_edits_the_second_refused(strong_account: Account, rep_client: Client, manager_client: Client) -> None:
    deal = Deal.objects.get(account=strong_account)
    url = reverse("portfolio:deal_edit", args=[deal.pk])
    mine, theirs = _form(rep_client, url), _form(manager_client, url)
    assert _post(manager_client, url, {**theirs, "amount": "1500000"}).status_code == 302
    refused = _post(rep_client, url, {**mine, "stage": "Contract"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert "Sato Kenji changed this deal at" in refused.content.decode()
    fresh = Deal.objects.get(pk=deal.pk)
    assert (str(fresh.amount), fresh.stage, fresh.version) == ("1500000.00", "", 2)


def _patch(client: Client, url: str, body: dict[str, Any], **headers: Any) -> _MonkeyPatchedWSGIResponse:
    return client.patch(url, json.dumps(body), content_type="application/json", **headers)


def test_the_api_answers_409_with_who_when_and_the_current_record(
    strong_account: Account, rep_client: Client, manager_client: Client
) -> None:
    url = f"/api/accounts/{strong_account.pk}"
    read = rep_client.get(url).json()
    assert read["version"] == 1
    first = _patch(manager_client, url, {"name": "Fuji Seiki Holdings", "version": 1})
    assert (first.status_code, first.json()["version"]) == (200, 2)

    stale = _patch(rep_client, url, {"region": "Kansai", "version": read["version"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert stale.status_code == 409
    body = stale.json()
    assert body["detail"].startswith("Sato Kenji changed this account at")
    assert (body["version"], body["changed_by"], body["current"]["name"]) == (2, "Sato Kenji", "Fuji Seiki Holdings")
    assert body["changed_at"] is not None
    by_header = _patch(rep_client, url, {"region": "Kansai"}, HTTP_IF_MATCH='"1"')
    assert by_header.status_code == 409
    assert Account.objects.get(pk=strong_account.pk).region == ""

    ok = _patch(rep_client, url, {"region": "Kansai"}, HTTP_IF_MATCH='W/"2"')
    assert (ok.status_code, ok.json()["region"], ok.json()["version"]) == (200, "Kansai", 3)
    assert _patch(rep_client, url, {"region": "X"}, HTTP_IF_MATCH="two").status_code == 400


def test_a_deal_patch_with_a_stale_version_changes_nothing(strong_account: Account, rep_client: Client, manager: User) -> None:
    deal = Deal.objects.get(account=strong_account)
    url = f"/api/deals/{deal.pk}"
    assert _patch(rep_client, url, {"stage": "Review", "version": 1}).status_code == 200
    stale = _patch(rep_client, url, {"stage": "Contract", "version": 1}, HTTP_ACCEPT_LANGUAGE="ja")
    assert stale.status_code == 409
    assert "この商談が変更されました" in stale.json()["detail"]
    assert stale.json()["current"]["stage"] == "Review"
    assert Deal.objects.get(pk=deal.pk).stage == "Review"
    assert _patch(rep_client, url, {"stage": "Contract"}).status_code == 200  # without a version: last write wins, as before


def test_an_import_that_changes_an_account_refuses_an_edit_begun_before_it(
    strong_account: Account, rep_client: Client, strong_rep: Rep, tmp_path: Path
) -> None:
    url = reverse("portfolio:account_edit", args=[strong_account.pk])
    mine = _form(rep_client, url)
    path = tmp_path / "accounts.csv"
    path.write_text("external_id,name,industry\nACC-1,Fuji Seiki,semiconductors\n", encoding="utf-8")
    assert import_run(actor=None, kind="accounts", path=path).updated == 1
    assert Account.objects.get(pk=strong_account.pk).version == 2
    refused = _post(rep_client, url, {**mine, "industry": "optics"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert "Someone else (an import" in refused.content.decode()
    assert Account.objects.get(pk=strong_account.pk).industry == "semiconductors"


def test_an_edit_in_django_admin_bumps_the_version(strong_account: Account, admin_user: User) -> None:
    admin = Client()
    admin.force_login(admin_user)
    url = reverse("admin:crm_account_change", args=[strong_account.pk])
    data = {"external_id": "ACC-1", "name": "Fuji Seiki KK", "industry": "manufacturing", "region": "", "employees": "",
            "annual_revenue": "", "owner": strong_account.owner_id, "buyer_type": "unknown"}  # fmt: skip
    assert admin.post(url, data).status_code == 302
    fresh = Account.objects.get(pk=strong_account.pk)
    assert (fresh.name, fresh.version) == ("Fuji Seiki KK", 2)
