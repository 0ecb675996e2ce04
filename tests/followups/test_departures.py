"""Recording a departure (離反) from the account page: the panel, who may record and withdraw, what the snapshot makes of it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.test import Client

from kokyaku.crm.models import Account, AccountChurn
from kokyaku.followups.models import FollowUp
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.services import snapshot_create
from tests.followups.conftest import FIRST

pytestmark = pytest.mark.django_db
TODAY = datetime(2026, 7, 2, 9, 0)


def test_the_owner_records_a_departure_and_the_snapshot_calls_it_churned_with_no_follow_up(
    book: dict[str, Account], developing_client: Client
) -> None:
    quiet = book["quiet"]
    with time_machine.travel(TODAY, tick=False):
        panel = developing_client.get(f"/followups/accounts/{quiet.pk}/departures/").content.decode()
        assert 'data-testid="departure-form"' in panel
        assert "No departure recorded" in panel
        done = developing_client.post(
            f"/followups/accounts/{quiet.pk}/departures/record/", {"churned_on": "2026-06-20", "reason": "moved to a rival"}
        )
        assert done.status_code == 302
        assert done["Location"] == f"/portfolio/accounts/{quiet.pk}/"
        snapshot_create(actor=None, as_of=FIRST)
        panel = developing_client.get(f"/followups/accounts/{quiet.pk}/departures/").content.decode()
    churn = AccountChurn.objects.get(account=quiet)
    assert churn.recorded_by is not None
    assert (churn.churned_on, churn.reason, churn.recorded_by.username) == (date(2026, 6, 20), "moved to a rival", "suzuki")
    assert "moved to a rival" in panel
    assert 'data-testid="departure-withdraw"' in panel
    assert SnapshotRow.objects.get(account=quiet).lifecycle == "churned"
    assert not FollowUp.objects.filter(account=quiet).exists()  # churned: nothing to follow up
    assert FollowUp.objects.filter(account=book["released"]).exists()  # the other dormant account still gets one


def test_the_account_page_loads_the_panel(book: dict[str, Account], developing_client: Client) -> None:
    body = developing_client.get(f"/portfolio/accounts/{book['quiet'].pk}/").content.decode()
    assert f'hx-get="/followups/accounts/{book["quiet"].pk}/departures/"' in body


def test_another_rep_sees_the_record_but_can_neither_record_nor_withdraw(
    book: dict[str, Account], rep_client: Client, developing_client: Client
) -> None:
    quiet = book["quiet"]  # Suzuki's; rep_client is Tanaka
    with time_machine.travel(TODAY, tick=False):
        developing_client.post(
            f"/followups/accounts/{quiet.pk}/departures/record/", {"churned_on": "2026-06-20", "reason": "closing down"}
        )
        panel = rep_client.get(f"/followups/accounts/{quiet.pk}/departures/").content.decode()
        refused = rep_client.post(
            f"/followups/accounts/{quiet.pk}/departures/record/", {"churned_on": "2026-06-21", "reason": "x"}
        )
        churn = AccountChurn.objects.get(account=quiet)
        rep_client.post(f"/followups/departures/{churn.pk}/withdraw/")
    assert "closing down" in panel
    assert 'data-testid="departure-form"' not in panel
    assert 'data-testid="departure-withdraw"' not in panel
    assert refused.status_code == 302
    assert AccountChurn.objects.filter(account=quiet).count() == 1
    churn.refresh_from_db()
    assert churn.withdrawn_at is None


def test_a_manager_withdraws_it_and_it_stays_as_history(
    book: dict[str, Account], developing_client: Client, manager_client: Client
) -> None:
    quiet = book["quiet"]
    with time_machine.travel(TODAY, tick=False):
        developing_client.post(
            f"/followups/accounts/{quiet.pk}/departures/record/", {"churned_on": "2026-06-20", "reason": "by mistake"}
        )
        churn = AccountChurn.objects.get(account=quiet)
        manager_client.post(f"/followups/departures/{churn.pk}/withdraw/")
        again = manager_client.post(f"/followups/departures/{churn.pk}/withdraw/", follow=True).content.decode()
        snapshot_create(actor=None, as_of=FIRST)
        panel = manager_client.get(f"/followups/accounts/{quiet.pk}/departures/").content.decode()
    churn.refresh_from_db()
    assert churn.withdrawn_at is not None
    assert "already withdrawn" in again
    assert "withdrawn on 2026-07-02" in panel
    assert SnapshotRow.objects.get(account=quiet).lifecycle == "dormant"
    assert FollowUp.objects.filter(account=quiet, status="open").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"churned_on": "2026-07-30", "reason": "later"}, "is in the future"),
        ({"churned_on": "2026-06-20", "reason": "   "}, "Reason: This field is required."),
        ({"churned_on": "not a date", "reason": "x"}, "Left on"),
        ({"churned_on": "2026-06-20", "reason": "x" * 301}, "Reason"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_records_nothing(
    book: dict[str, Account], developing_client: Client, data: dict[str, str], message: str
) -> None:
    with time_machine.travel(TODAY, tick=False):
        page = developing_client.post(f"/followups/accounts/{book['quiet'].pk}/departures/record/", data, follow=True)
    assert message in page.content.decode()
    assert not AccountChurn.objects.exists()


def test_the_panel_is_in_japanese(book: dict[str, Account], developing_client: Client) -> None:
    body = developing_client.get(
        f"/followups/accounts/{book['quiet'].pk}/departures/", HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "離反を記録" in body


def test_unknown_ids_are_404(developing_client: Client) -> None:
    assert developing_client.get("/followups/accounts/999999/departures/").status_code == 404
    assert developing_client.post("/followups/departures/999999/withdraw/").status_code == 404
