"""An applied assignment plan moves the follow-up queue with the accounts (issue 13 x 14; both databases).

Dormant accounts moved to a developing rep get a follow-up (an open one follows the account, else a new
one); the accounts' open deals move with them, won deals keep the rep who worked them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from kokyaku.assignment import services as assignment
from kokyaku.assignment.models import AccountRelease, PlanMove
from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.followups.models import FollowUp
from kokyaku.followups.services import followup_complete
from kokyaku.portfolio.services import snapshot_create
from tests.followups.conftest import FIRST, won

pytestmark = pytest.mark.django_db


def test_dormant_accounts_moved_to_developing_reps_get_their_follow_up(
    book: dict[str, Account], strong_rep: Rep, developing_rep: Rep, manager: User
) -> None:
    sato = Rep.objects.get(name="Sato Kenji")  # the manager's rep: inactive, its dormant account must move
    Rep.objects.filter(pk=sato.pk).update(active=False)
    Rep.objects.create(name="Ito Mai", email="ito@example.com", team=strong_rep.team, tier=Rep.Tier.DEVELOPING, capacity=30)
    orphan = Account.objects.create(external_id="O", name="Orphan Co", owner=sato, buyer_type="visionary")
    won(orphan, sato, date(2024, 5, 1), "D-O")
    Account.objects.filter(pk=book["busy"].pk).update(buyer_type="pragmatist")  # active, Suzuki's: goes to Tanaka
    open_deal = Deal.objects.create(
        external_id="D-B-OPEN", account=book["busy"], owner=developing_rep, amount=Decimal(50_000),
        status=Deal.Status.OPEN, opened_on=date(2026, 6, 1),
    )  # fmt: skip
    snapshot_create(actor=None, as_of=FIRST)
    released_task = FollowUp.objects.get(account=book["released"], status="open")
    assert released_task.rule == "released"  # the snapshot: Tanaka released it, a developing rep follows up
    done = FollowUp.objects.get(account=orphan, status="open")
    followup_complete(actor=manager, followup=done, outcome="no_reply")  # the orphan has no follow-up open any more

    plan = assignment.assignment_plan(actor=manager)
    moves = dict(PlanMove.objects.filter(plan=plan).values_list("account_id", "to_rep_id"))
    assert moves[book["busy"].pk] == strong_rep.pk
    assert {book["released"].pk, orphan.pk} <= set(moves)  # the released one no longer stays with Tanaka
    assert {Rep.objects.get(pk=moves[a]).tier for a in (book["released"].pk, orphan.pk)} == {"developing"}
    assert book["kept"].pk not in moves  # dormant, Tanaka's, not released: held, covered

    assignment.assignment_apply(actor=manager, plan=plan)

    released_task.refresh_from_db()
    assert (released_task.status, released_task.assignee_id, released_task.rule) == ("open", moves[book["released"].pk], "plan")
    new = FollowUp.objects.get(account=orphan, status="open")
    assert (new.assignee_id, new.rule, new.reason) == (moves[orphan.pk], "plan", "dormant")
    assert new.due_on == timezone.localdate() + timedelta(days=14)
    assert new.snapshot_id == plan.snapshot_id_used
    assert FollowUp.objects.filter(account=book["kept"]).count() == 0
    assert FollowUp.objects.filter(status="open").count() == 3  # quiet (its owner's), released, orphan: one each

    open_deal.refresh_from_db()
    assert open_deal.owner_id == strong_rep.pk  # the open deal moved with its account
    assert Deal.objects.get(external_id="D-B").owner_id == developing_rep.pk  # the won deal keeps who worked it
    assert Deal.objects.get(external_id="D-R1").owner_id == strong_rep.pk
    assert Deal.objects.get(external_id="D-O").owner_id == sato.pk
    assert AccountRelease.objects.get(account=book["released"]).resolved_by_plan_id == plan.pk


def test_a_plan_moving_no_dormant_account_leaves_the_queue_alone(
    book: dict[str, Account], strong_rep: Rep, manager: User
) -> None:
    AccountRelease.objects.all().delete()
    Account.objects.filter(pk=book["busy"].pk).update(buyer_type="pragmatist")  # active, Suzuki's: goes to Tanaka
    Rep.objects.filter(name="Sato Kenji").update(active=False)
    snapshot_create(actor=None, as_of=FIRST)
    before = list(FollowUp.objects.order_by("id").values_list("id", "assignee_id", "rule", "status"))
    plan = assignment.assignment_plan(actor=manager)
    assert list(PlanMove.objects.filter(plan=plan).values_list("account_id", flat=True)) == [book["busy"].pk]
    assert assignment.assignment_apply(actor=manager, plan=plan) == 1
    assert list(FollowUp.objects.order_by("id").values_list("id", "assignee_id", "rule", "status")) == before
