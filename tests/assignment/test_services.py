"""The assignment services on both databases: plan, exclude, apply with its audit trail, and every refusal."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from kokyaku.assignment import services
from kokyaku.assignment.models import AccountRelease, Handover, OwnerChange, Plan, PlanMove
from kokyaku.crm.models import Account, Rep, Team
from kokyaku.portfolio.services import snapshot_create
from tests.assignment.conftest import Book

pytestmark = pytest.mark.django_db


def test_plan_moves_each_account_to_the_tier_the_policy_wants(book: Book) -> None:
    manager, strong, developing = book.manager, book.strong, book.developing
    plan = services.assignment_plan(actor=manager)
    assert plan.status == "optimal"
    assert plan.move_count == 12
    assert plan.policy_fit == 1.0
    assert plan.policy_fit_before == 0.0
    assert plan.baselines["round_robin"]["policy_fit"] < 1.0
    moves = PlanMove.objects.filter(plan=plan)
    assert moves.count() == 12
    to_strong = moves.filter(to_rep=strong)
    assert {m.reason for m in to_strong} == {"pragmatist", "conservative"}
    assert set(moves.filter(to_rep=developing).values_list("reason", flat=True)) == {"visionary", "skeptic"}
    assert Account.objects.filter(owner=strong, buyer_type="visionary").count() == 4  # nothing moved yet


def test_apply_moves_owners_with_an_audit_trail_and_handovers(book: Book) -> None:
    manager, strong, developing = book.manager, book.strong, book.developing
    plan = services.assignment_plan(actor=manager)
    skipped = PlanMove.objects.filter(plan=plan, reason="skeptic").order_by("id").first()
    assert skipped is not None
    assert services.plan_moves_exclude(actor=manager, plan=plan, move_ids=[skipped.pk]) == 1
    assert services.assignment_apply(actor=manager, plan=plan) == 11
    assert Account.objects.get(pk=skipped.account_id).owner_id == strong.pk  # the excluded move stayed
    assert Account.objects.filter(owner=strong, buyer_type__in=["pragmatist", "conservative"]).count() == 6
    assert Account.objects.filter(owner=developing, buyer_type="visionary").count() == 4
    changes = OwnerChange.objects.filter(plan=plan)
    assert changes.count() == 11
    change = changes.filter(reason="visionary").first()
    assert change is not None
    assert change.from_rep_id == strong.pk
    assert change.to_rep_id == developing.pk
    assert change.changed_by == manager
    assert Handover.objects.filter(rep=developing, done_at__isnull=True).count() == 5
    plan.refresh_from_db()
    assert plan.applied_by == manager
    assert plan.applied_at is not None
    with pytest.raises(ValidationError, match="already applied"):
        services.assignment_apply(actor=manager, plan=plan)


def test_apply_refuses_a_plan_made_on_data_that_changed(book: Book) -> None:
    manager, developing = book.manager, book.developing
    plan = services.assignment_plan(actor=manager)
    Account.objects.filter(external_id="B-0").update(owner=developing)
    owners = dict(Account.objects.values_list("pk", "owner_id"))
    with pytest.raises(ValidationError, match="changed since plan"):
        services.assignment_apply(actor=manager, plan=plan)
    assert dict(Account.objects.values_list("pk", "owner_id")) == owners
    assert not OwnerChange.objects.exists()
    assert Plan.objects.get(pk=plan.pk).applied_at is None


def test_a_released_account_goes_to_a_developing_rep_and_the_release_resolves(book: Book) -> None:
    manager, strong, developing = book.manager, book.strong, book.developing
    tanaka = User.objects.get(username="tanaka")
    kept = Account.objects.filter(owner=developing, buyer_type="pragmatist").first()
    assert kept is not None
    Account.objects.filter(pk=kept.pk).update(owner=strong)  # a pragmatist a strong rep holds...
    kept.refresh_from_db()
    release = services.account_release(actor=tanaka, account=kept, reason="No budget for three years")  # ...gives up on
    with pytest.raises(ValidationError, match="already released"):
        services.account_release(actor=tanaka, account=kept, reason="again")
    plan = services.assignment_plan(actor=manager)
    move = PlanMove.objects.get(plan=plan, account=kept)
    assert move.to_rep_id == developing.pk
    assert move.reason == "released"
    services.assignment_apply(actor=manager, plan=plan)
    release.refresh_from_db()
    assert release.resolved_at is not None
    assert release.resolved_by_plan_id == plan.pk


def test_release_rules(book: Book) -> None:
    strong, developing = book.strong, book.developing
    tanaka, suzuki = User.objects.get(username="tanaka"), User.objects.get(username="suzuki")
    mine = Account.objects.filter(owner=strong).first()
    theirs = Account.objects.filter(owner=developing).first()
    assert mine is not None
    assert theirs is not None
    with pytest.raises(PermissionDenied):
        services.account_release(actor=suzuki, account=mine, reason="not mine")
    with pytest.raises(ValidationError, match="strong rep"):
        services.account_release(actor=suzuki, account=theirs, reason="a developing rep does not release")
    with pytest.raises(ValidationError, match="Say why"):
        services.account_release(actor=tanaka, account=mine, reason="  ")
    release = services.account_release(actor=tanaka, account=mine, reason="Went with a competitor")
    services.account_release_withdraw(actor=tanaka, release=release)
    assert AccountRelease.objects.get(pk=release.pk).withdrawn_at is not None
    with pytest.raises(ValidationError, match="no longer open"):
        services.account_release_withdraw(actor=tanaka, release=release)


def test_a_pinned_account_never_moves(book: Book) -> None:
    manager, strong = book.manager, book.strong
    pinned = Account.objects.filter(owner=strong, buyer_type="visionary").first()
    assert pinned is not None
    services.account_pin(actor=manager, account=pinned, note="The CEO knows Tanaka")
    plan = services.assignment_plan(actor=manager)
    assert not PlanMove.objects.filter(plan=plan, account=pinned).exists()
    assert plan.move_count == 11
    with pytest.raises(PermissionDenied):
        services.account_pin(actor=User.objects.get(username="tanaka"), account=pinned)


def test_capacity_too_small_is_infeasible_and_changes_nothing(book: Book) -> None:
    manager = book.manager
    Rep.objects.filter(name__in=["Tanaka Hiroshi", "Suzuki Yui"]).update(capacity=5)
    plan = services.assignment_plan(actor=manager)
    assert plan.status == "infeasible"
    assert plan.reason is not None
    assert plan.reason["code"] == "capacity_short"
    assert plan.reason["totals"]["shortfall"] == 2
    assert not PlanMove.objects.filter(plan=plan).exists()
    with pytest.raises(ValidationError, match="no plan exists"):
        services.assignment_apply(actor=manager, plan=plan)


def test_no_active_reps_is_infeasible(book: Book) -> None:
    Rep.objects.update(active=False)
    plan = services.assignment_plan(actor=book.manager)
    assert plan.status == "infeasible"
    assert plan.reason is not None
    assert plan.reason["code"] == "no_active_reps"


def test_a_team_with_no_active_rep_is_infeasible(book: Book) -> None:
    osaka = Team.objects.create(name="Osaka")
    idle = Rep.objects.create(name="Kato Mai", team=osaka, tier=Rep.Tier.DEVELOPING, capacity=10, active=False)
    Account.objects.create(external_id="OSK-1", name="Naniwa Shoji", buyer_type="visionary", owner=idle)
    plan = services.assignment_plan(actor=book.manager)
    assert plan.status == "infeasible"
    assert plan.reason is not None
    assert plan.reason["code"] == "team_without_active_reps"
    assert plan.reason["details"][0]["team"] == "Osaka"


def test_only_managers_plan_and_apply(book: Book) -> None:
    tanaka = User.objects.get(username="tanaka")
    with pytest.raises(PermissionDenied):
        services.assignment_plan(actor=tanaka)
    plan = services.assignment_plan(actor=book.manager)
    with pytest.raises(PermissionDenied):
        services.assignment_apply(actor=tanaka, plan=plan)


def test_plan_reads_zones_from_the_latest_snapshot(book: Book) -> None:
    snapshot = snapshot_create(actor=None)
    plan = services.assignment_plan(actor=book.manager)
    assert plan.snapshot_id_used == snapshot.pk


def test_the_command_plans_writes_json_and_applies(book: Book, tmp_path: object) -> None:
    import json
    from pathlib import Path

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = Path(str(tmp_path)) / "plan.json"
    call_command("assign", "plan", "--json", str(out))
    data = json.loads(out.read_text())
    assert data["status"] == "optimal"
    assert data["moves"] == 12
    assert data["policy_fit"] == 1.0
    assert set(data["baselines"]) == {"round_robin", "equal_split"}
    assert data["baselines"]["round_robin"]["policy_fit"] < 1.0
    call_command("assign", "apply", str(data["plan_id"]))
    assert OwnerChange.objects.filter(plan_id=data["plan_id"], changed_by=None).count() == 12
    with pytest.raises(CommandError, match="already applied"):
        call_command("assign", "apply", str(data["plan_id"]))
    Rep.objects.update(active=False)
    with pytest.raises(CommandError, match="no active rep"):
        call_command("assign", "plan")


def test_apply_refuses_when_a_pin_or_a_new_snapshot_came_after_the_plan(book: Book) -> None:
    plan = services.assignment_plan(actor=book.manager)
    account = Account.objects.filter(owner=book.strong).first()
    assert account is not None
    services.account_pin(actor=book.manager, account=account)
    with pytest.raises(ValidationError, match="changed since plan"):
        services.assignment_apply(actor=book.manager, plan=plan)
    plan = services.assignment_plan(actor=book.manager)
    snapshot_create(actor=None)
    with pytest.raises(ValidationError, match="changed since plan"):
        services.assignment_apply(actor=book.manager, plan=plan)
    assert not OwnerChange.objects.exists()
