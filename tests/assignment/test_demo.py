"""End to end on the demo (seed 0, 2,000 accounts, the one `make run` loads) from the database: the plan
places at least 95% of accounts where the policy wants them, within capacities, far above round-robin;
applying it moves exactly the planned accounts and leaves every rep within capacity."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Count

from kokyaku.assignment.models import OwnerChange, PlanMove
from kokyaku.assignment.services import assignment_apply, assignment_plan
from kokyaku.crm.models import Account, Rep
from kokyaku.demo.services import demo_load
from kokyaku.portfolio.services import snapshot_create

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 20)


def test_demo_plan_fit_beats_round_robin_and_applies_within_capacity() -> None:
    demo_load(actor=None, accounts=2000, seed=0, as_of=AS_OF)
    snapshot_create(actor=None, as_of=AS_OF)
    plan = assignment_plan(actor=None)
    assert plan.status == "optimal"
    assert plan.policy_fit is not None
    assert plan.policy_fit >= 0.95
    dormant_uncovered = int(
        Account.objects.filter(snapshot_rows__lifecycle="dormant").exclude(owner__tier="strong").count()
    )  # dormant accounts stay with their owner: those of developing reps are the follow-up queue
    assert plan.follow_up == dormant_uncovered > 0
    round_robin = plan.baselines["round_robin"]["policy_fit"]
    assert round_robin < 0.7
    assert plan.policy_fit - round_robin > 0.3
    planned = dict(PlanMove.objects.filter(plan=plan).values_list("account_id", "to_rep_id"))
    assert len(planned) == plan.move_count > 0
    assert assignment_apply(actor=None, plan=plan) == plan.move_count
    after = dict(Account.objects.filter(pk__in=list(planned)).values_list("pk", "owner_id"))
    assert after == planned
    assert OwnerChange.objects.filter(plan=plan).count() == plan.move_count
    load = dict(Account.objects.values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    for rep in Rep.objects.filter(active=True):
        assert load.get(rep.pk, 0) <= rep.capacity, rep.name
