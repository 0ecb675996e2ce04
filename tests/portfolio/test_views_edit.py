"""Editing accounts and deals on the web: the rights the API enforces, the history, the stale-snapshot notice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from kokyaku.crm.models import Account, Change, Deal, Rep
from tests.portfolio.pages_demo import NOW, Demo, demo_client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db


def _edit_account(client: Client, account: Account, **fields: object) -> _MonkeyPatchedWSGIResponse:
    data = {
        "name": account.name, "buyer_type": account.buyer_type, "industry": account.industry, "region": account.region,
        "employees": account.employees or "", "annual_revenue": account.annual_revenue or "",
        "owner": account.owner_id or "",
    }  # fmt: skip
    data.update(fields)
    return client.post(reverse("portfolio:account_edit", args=[account.pk]), data)


def test_a_rep_edits_their_own_account_but_not_its_owner_nor_anothers(demo: Demo) -> None:
    client = demo_client("rep")
    page = client.get(reverse("portfolio:account_edit", args=[demo.rep_account.pk]))
    assert page.status_code == 200
    assert 'name="owner"' not in page.content.decode()  # only managers reassign
    response = _edit_account(client, demo.rep_account, buyer_type="visionary", owner=demo.rep2.pk)
    assert response.status_code == 302
    fresh = Account.objects.get(pk=demo.rep_account.pk)
    assert (fresh.buyer_type, fresh.owner_id) == ("visionary", demo.rep.pk)  # the owner field was not offered
    assert client.get(reverse("portfolio:account_edit", args=[demo.rep2_account.pk])).status_code == 403
    assert _edit_account(client, demo.rep2_account, region="X").status_code == 403
    assert Account.objects.get(pk=demo.rep2_account.pk).region != "X"


def test_a_manager_reassigns_an_account_and_the_page_shows_who_changed_what(demo: Demo) -> None:
    client = demo_client("manager")
    account = demo.rep_account
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):  # (the demo's clock stands still at its snapshot)
        assert _edit_account(client, account, owner=demo.rep2.pk, annual_revenue="250000000").status_code == 302
    assert Account.objects.get(pk=account.pk).owner_id == demo.rep2.pk
    page = client.get(reverse("portfolio:account", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    history = page.split('data-testid="change-history"')[1]
    assert demo.rep.name in history
    assert demo.rep2.name in history
    assert "250,000,000" in history  # the page groups the digits of a changed number
    assert 'data-testid="stale-notice"' in page  # changed after the latest snapshot
    for name in ("portfolio:team", "portfolio:accounts", "portfolio:review"):  # every page that reads a snapshot says so
        assert 'data-testid="stale-notice"' in client.get(reverse(name)).content.decode(), name


def test_no_notice_without_a_change_after_the_snapshot(demo: Demo) -> None:
    page = demo_client("manager").get(reverse("portfolio:team")).content.decode()
    assert 'data-testid="stale-notice"' not in page
    assert not Change.objects.exists()


def test_a_deal_edit_shows_plain_amounts_and_refuses_bad_input_naming_the_field(demo: Demo) -> None:
    client = demo_client("rep")
    deal = Deal.objects.filter(owner=demo.rep, status="open", amount__isnull=False).first()
    assert deal is not None
    assert deal.amount is not None
    url = reverse("portfolio:deal_edit", args=[deal.pk])
    form = client.get(url).content.decode()
    assert f'value="{int(deal.amount)}"' in form  # 10120000, not 10120000.00
    data = {
        "name": deal.name, "stage": deal.stage, "status": "open", "amount": "", "probability": "130",
        "expected_close_on": deal.expected_close_on or "", "closed_on": "", "lost_reason": "",
    }  # fmt: skip
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert Deal.objects.get(pk=deal.pk).amount == deal.amount  # nothing half-applied
    data.update(probability="70", amount="3500000", stage="提案")
    assert client.post(url, data).status_code == 302
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.probability, fresh.amount, fresh.stage) == (70, Decimal("3500000"), "提案")
    assert set(Change.objects.filter(deal=deal).values_list("field", flat=True)) >= {"probability", "amount", "stage"}


def test_closing_an_open_deal_with_a_closed_date_goes_through_the_deal_rules(demo: Demo) -> None:
    client = demo_client("manager")
    deal = Deal.objects.filter(status="open").first()
    assert deal is not None
    data = {
        "name": deal.name, "stage": deal.stage, "status": "open", "amount": deal.amount or "", "probability": "",
        "expected_close_on": deal.expected_close_on or "", "closed_on": "2026-11-20", "lost_reason": "",
        "owner": deal.owner_id or "",
    }  # fmt: skip
    response = client.post(reverse("portfolio:deal_edit", args=[deal.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "closed_on: an open deal has no closed date" in response.content.decode()
    data["status"] = "won"
    assert client.post(reverse("portfolio:deal_edit", args=[deal.pk]), data).status_code == 302
    assert Deal.objects.get(pk=deal.pk).closed_on is not None


def test_other_reps_deals_show_no_edit_link(demo: Demo) -> None:
    rep2_deal = Deal.objects.filter(owner=demo.rep2).first()
    assert rep2_deal is not None
    page = demo_client("rep").get(reverse("portfolio:account", args=[rep2_deal.account_id])).content.decode()
    assert reverse("portfolio:deal_edit", args=[rep2_deal.pk]) not in page
    assert 'data-testid="account-edit"' not in page
    assert demo_client("rep").get(reverse("portfolio:deal_edit", args=[rep2_deal.pk])).status_code == 403
    assert isinstance(demo.rep, Rep)


def test_the_account_page_offers_all_activities_when_it_shows_only_the_latest(demo: Demo) -> None:
    account = Account.objects.annotate(n=Count("activities")).order_by("-n").first()
    assert account is not None
    assert account.n > 20
    client = demo_client("manager")
    page = client.get(reverse("portfolio:account", args=[account.pk])).content.decode()
    assert 'data-testid="activities-more"' in page
    table = client.get(reverse("portfolio:account", args=[account.pk]) + "?activities=all").content.decode()
    rows = table.split('data-testid="account-activities"')[1].split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == account.n
