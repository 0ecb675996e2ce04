"""The follow-up queue as snapshots move it, and a rep's / manager's writes on it (both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from kokyaku.crm.models import Account, AccountChurn, Rep
from kokyaku.crm.services import churn_record, churn_withdraw
from kokyaku.followups.models import FollowUp, Reactivation
from kokyaku.followups.services import followup_cancel, followup_complete, followup_reassign
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.services import snapshot_create
from tests.followups.conftest import FIRST, SECOND, won

pytestmark = pytest.mark.django_db


def open_by_account() -> dict[str, tuple[str | None, str, str]]:
    rows = FollowUp.objects.filter(status="open").values_list("account__external_id", "assignee__name", "rule", "reason")
    return {ext: (name, rule, reason) for ext, name, rule, reason in rows}


def test_the_first_snapshot_queues_new_dormant_accounts_by_the_rule(book: dict[str, Account]) -> None:
    snapshot = snapshot_create(actor=None, as_of=FIRST)
    assert open_by_account() == {
        "Q": ("Suzuki Yui", "owner", "dormant"),  # a developing owner keeps it
        "R": ("Suzuki Yui", "released", "dormant"),  # Tanaka (strong) owns it but released it: a developing rep's
    }  # K: Tanaka owns it and is strong: covered, no task; B: active
    task = FollowUp.objects.get(account=book["quiet"])
    assert task.due_on == date(2026, 7, 14)  # 14 days for a dormant account
    assert task.snapshot == snapshot


def test_only_an_open_release_sends_a_strong_reps_account_to_the_developing_reps(
    book: dict[str, Account], strong_rep: Rep
) -> None:
    from kokyaku.assignment.models import AccountRelease
    from kokyaku.assignment.services import account_release_withdraw

    account_release_withdraw(actor=None, release=AccountRelease.objects.get(account=book["released"]))
    # never released: an account without an owner whose last win was a strong rep's is no longer taken as released
    unowned = Account.objects.create(external_id="U", name="Unowned Co", owner=None)
    won(unowned, strong_rep, date(2024, 5, 1), "D-U")
    snapshot_create(actor=None, as_of=FIRST)
    assert open_by_account() == {
        "Q": ("Suzuki Yui", "owner", "dormant"),
        "U": ("Suzuki Yui", "no_owner", "dormant"),  # no owner: the company's developing reps, not "released"
    }  # R: the release was withdrawn, Tanaka (strong) covers it again, like K


def test_a_reactivation_closes_the_follow_up_and_is_counted(book: dict[str, Account], developing_rep: Rep) -> None:
    snapshot_create(actor=None, as_of=FIRST)
    won(book["quiet"], developing_rep, date(2026, 7, 10), "D-Q2", amount=250_000)
    second = snapshot_create(actor=None, as_of=SECOND)
    task = FollowUp.objects.get(account=book["quiet"])
    assert (task.status, task.outcome, task.reactivated_on) == ("done", "reactivated", date(2026, 7, 10))
    again = Reactivation.objects.get(snapshot=second)
    assert (again.account_id, again.previous, again.reactivated_on, int(again.revenue or 0)) == (
        book["quiet"].pk, "dormant", date(2026, 7, 10), 250_000,
    )  # fmt: skip
    assert open_by_account() == {"R": ("Suzuki Yui", "released", "dormant")}  # still dormant: no second task


def test_a_recorded_departure_makes_the_account_churned_and_cancels_its_follow_up(book: dict[str, Account]) -> None:
    snapshot_create(actor=None, as_of=FIRST)
    churn_record(actor=None, account=book["released"], churned_on=date(2026, 7, 15), reason="moved to a competitor")
    second = snapshot_create(actor=None, as_of=SECOND)
    assert SnapshotRow.objects.get(snapshot=second, account=book["released"]).lifecycle == "churned"
    task = FollowUp.objects.get(account=book["released"])
    assert (task.status, task.outcome) == ("cancelled", "leaving")
    churn_withdraw(actor=None, churn=AccountChurn.objects.get())
    third = snapshot_create(actor=None, as_of=date(2026, 8, 31))
    assert SnapshotRow.objects.get(snapshot=third, account=book["released"]).lifecycle == "dormant"  # withdrawn: not counted


def test_a_departure_needs_a_reason_and_a_past_date(book: dict[str, Account]) -> None:
    with pytest.raises(ValidationError, match="reason"):
        churn_record(actor=None, account=book["quiet"], churned_on=date(2026, 7, 1), reason="  ")
    with pytest.raises(ValidationError, match="2999-01-01"):
        churn_record(actor=None, account=book["quiet"], churned_on=date(2999, 1, 1), reason="leaving")
    assert not AccountChurn.objects.exists()


def test_a_snapshot_rebuilt_for_a_past_date_leaves_the_queue_alone(book: dict[str, Account]) -> None:
    snapshot_create(actor=None, as_of=SECOND)
    count = FollowUp.objects.count()
    snapshot_create(actor=None, as_of=FIRST)
    assert FollowUp.objects.count() == count == 2


def test_the_assignee_completes_others_may_not(
    book: dict[str, Account], strong_rep: Rep, developing_rep: Rep, manager: User
) -> None:
    snapshot_create(actor=None, as_of=FIRST)
    task = FollowUp.objects.get(account=book["quiet"])
    tanaka = User.objects.get(username="tanaka")
    suzuki = User.objects.get(username="suzuki")
    with pytest.raises(PermissionDenied):
        followup_complete(actor=tanaka, followup=task, outcome="meeting")
    with pytest.raises(ValidationError, match="'bought'"):
        followup_complete(actor=suzuki, followup=task, outcome="bought")
    done = followup_complete(actor=suzuki, followup=task, outcome="meeting", note="visit on the 20th")
    assert (done.status, done.outcome, done.note, done.closed_by) == ("done", "meeting", "visit on the 20th", suzuki)
    with pytest.raises(ValidationError, match="already"):
        followup_cancel(actor=suzuki, followup=done)


def test_only_a_manager_reassigns(book: dict[str, Account], strong_rep: Rep, manager: User) -> None:
    snapshot_create(actor=None, as_of=FIRST)
    task = FollowUp.objects.get(account=book["released"])
    with pytest.raises(PermissionDenied):
        followup_reassign(actor=User.objects.get(username="suzuki"), followup=task, assignee_id=strong_rep.pk)
    moved = followup_reassign(actor=manager, followup=task, assignee_id=strong_rep.pk, due_on=date(2026, 7, 20))
    assert (moved.assignee, moved.due_on) == (strong_rep, date(2026, 7, 20))
    with pytest.raises(ValidationError, match="99999"):
        followup_reassign(actor=manager, followup=task, assignee_id=99999)
    cancelled = followup_cancel(actor=User.objects.get(username="tanaka"), followup=task, note="duplicate")
    assert cancelled.status == "cancelled"


def test_the_command_lists_follow_ups_by_rep(book: dict[str, Account]) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    snapshot_create(actor=None, as_of=FIRST)
    out = StringIO()
    call_command("followups", "--rep", "suzuki", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert sorted(x["account_name"] for x in lines) == ["Quiet Co", "Released Co"]
    assert {x["assignee"] for x in lines} == {"Suzuki Yui"}
    out = StringIO()
    call_command("followups", "--rep", "tanaka", stdout=out)
    assert out.getvalue().startswith("no follow-ups")


def test_without_the_kept_state_the_previous_rows_give_the_same_queue(book: dict[str, Account], developing_rep: Rep) -> None:
    from kokyaku.followups.models import QueueState

    snapshot_create(actor=None, as_of=FIRST)
    assert QueueState.objects.count() == 1
    QueueState.objects.all().delete()  # e.g. a snapshot made before the state was kept: read its rows instead
    won(book["quiet"], developing_rep, date(2026, 7, 10), "D-Q2")
    second = snapshot_create(actor=None, as_of=SECOND)
    assert Reactivation.objects.filter(snapshot=second).count() == 1
    assert open_by_account() == {"R": ("Suzuki Yui", "released", "dormant")}
    assert QueueState.objects.get().snapshot == second
