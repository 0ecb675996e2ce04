"""The follow-up API: list, complete with rights, queue for managers, stale deals, departures."""

from __future__ import annotations

import pytest
from django.test import Client

from kokyaku.crm.models import Account, AccountChurn
from kokyaku.followups.models import FollowUp
from kokyaku.portfolio.services import snapshot_create
from tests.followups.conftest import FIRST

pytestmark = pytest.mark.django_db


def test_list_complete_and_rights(
    book: dict[str, Account], developing_client: Client, rep_client: Client, manager_client: Client
) -> None:
    snapshot_create(actor=None, as_of=FIRST)
    listed = developing_client.get("/api/followups", {"status": "open"}).json()
    assert sorted(i["account_name"] for i in listed["items"]) == ["Quiet Co", "Released Co"]
    task = FollowUp.objects.get(account=book["quiet"])
    refused = rep_client.post(f"/api/followups/{task.pk}/complete", {"outcome": "meeting"}, content_type="application/json")
    assert refused.status_code == 403
    bad = developing_client.post(f"/api/followups/{task.pk}/complete", {"outcome": "bought"}, content_type="application/json")
    assert bad.status_code == 422
    done = developing_client.post(
        f"/api/followups/{task.pk}/complete", {"outcome": "meeting", "note": "ok"}, content_type="application/json"
    )
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert developing_client.get("/api/followups/queue").status_code == 403
    queue = manager_client.get("/api/followups/queue").json()
    assert [(q["rep"], q["open"], q["done"]) for q in queue] == [("Suzuki Yui", 1, 1)]
    assert manager_client.get("/api/followups/999999/complete").status_code == 405


def test_a_departure_through_the_api(book: dict[str, Account], developing_client: Client, rep_client: Client) -> None:
    body = {"churned_on": "2026-07-01", "reason": "closing the plant"}
    assert rep_client.post(f"/api/accounts/{book['quiet'].pk}/churn", body, content_type="application/json").status_code == 403
    made = developing_client.post(f"/api/accounts/{book['quiet'].pk}/churn", body, content_type="application/json")
    assert made.status_code == 200
    assert made.json()["churned_on"] == "2026-07-01"
    gone = developing_client.post(f"/api/churns/{made.json()['id']}/withdraw")
    assert gone.status_code == 200
    assert gone.json()["withdrawn_at"]
    assert AccountChurn.objects.get().withdrawn_at is not None
