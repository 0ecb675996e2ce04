"""Every write of kokyaku.crm.permissions.RIGHTS, made through its real service, by every role.

The expected table is written here by hand; the test fails if a write is added to RIGHTS without a
row here, if a service lets through someone the table refuses (or refuses someone it allows), or
if ``allowed`` (what pages offer) disagrees with what the service does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from kokyaku.assignment import services as assignment_services
from kokyaku.assignment.models import AccountPin, AccountRelease, Handover, OwnerChange, Plan, PolicyVersion
from kokyaku.buyers import services as buyers_services
from kokyaku.buyers.models import KeyPerson, Objection, Product, TypeSuggestion
from kokyaku.crm import services
from kokyaku.crm.models import Account, AccountChurn, Activity, CompanySettings, Deal, LostReason, Rep, Target
from kokyaku.crm.permissions import RIGHTS, allowed, rep_of
from kokyaku.followups import services as followup_services
from kokyaku.followups.models import FollowUp
from kokyaku.imports.merge import duplicates_merge
from kokyaku.jobs import services as job_services
from kokyaku.jobs.models import Job
from kokyaku.portfolio import services as portfolio_services
from kokyaku.portfolio.models import Criteria, Snapshot
from kokyaku.prediction import services as prediction_services
from kokyaku.prediction.models import ModelVersion
from kokyaku.users.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ("owner", "other_rep", "manager", "admin", "no_role")
MANAGERS = {"manager", "admin"}
EXPECTED: dict[str, set[str]] = {
    "account_update": {"owner", *MANAGERS},
    "account_reassign": MANAGERS,
    "deal_update": {"owner", *MANAGERS},
    "deal_reassign": MANAGERS,
    "activity_create": {"owner", *MANAGERS},
    "activity_for_another_rep": MANAGERS,
    "target_set": MANAGERS,
    "company_settings_update": MANAGERS,
    "lost_reason_create": MANAGERS,
    "lost_reason_set_active": MANAGERS,
    "login_create": {"admin"},
    "criteria_create": MANAGERS,
    "snapshot_create": MANAGERS,
    "snapshot_delete": MANAGERS,
    "model_train": MANAGERS,
    "job_enqueue": MANAGERS,
    "job_cancel": MANAGERS,
    "churn_record": {"owner", *MANAGERS},
    "churn_withdraw": {"owner", *MANAGERS},
    "followup_complete": {"owner", *MANAGERS},  # the owner here is the follow-up's assignee
    "followup_cancel": {"owner", *MANAGERS},
    "followup_reassign": MANAGERS,
    "account_release": {"owner", *MANAGERS},
    "handover_done": {"owner", *MANAGERS},
    "account_pin": MANAGERS,
    "assignment_policy_update": MANAGERS,
    "assignment_plan": MANAGERS,
    "assignment_apply": MANAGERS,
    "buyer_type_update": {"owner", *MANAGERS},
    "key_person_update": {"owner", *MANAGERS},
    "objection_update": {"owner", *MANAGERS},
    "buyer_suggestions_compute": MANAGERS,
    "duplicates_merge": MANAGERS,
}
WHEN = datetime(2026, 7, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
def world(strong_account: Account, developing_rep: Rep, manager: User, admin_user: User) -> dict[str, object]:
    """Records owned by Tanaka (the "owner"), and one login per role."""
    deal = Deal.objects.get(account=strong_account)
    nobody = User.objects.create_user(username="nobody", password=PASSWORD)  # a login with no role at all
    # An account with a history to suggest a type from (two won service deals: conservative).
    Product.objects.create(name="Support plan", launched_on=date(2015, 1, 1), service=True)
    steady = Account.objects.create(external_id="ACC-STEADY", name="Steady Co", owner=developing_rep)
    for i in (1, 2):
        Deal.objects.create(
            external_id=f"D-STEADY-{i}", account=steady, owner=developing_rep, product="Support plan", amount=Decimal(1),
            status=Deal.Status.WON, opened_on=date(2026, i, 5), closed_on=date(2026, i, 25),
        )  # fmt: skip
    # one customer written two ways (to merge)
    Account.objects.create(external_id="ACC-ABC-1", name="株式会社ABC商事")
    Account.objects.create(external_id="ACC-ABC-2", name="(株)ABC商事")
    return {
        "account": strong_account,
        "deal": deal,
        "other_rep": developing_rep,
        "reason": LostReason.objects.create(code="test-reason", label_ja="試験", label_en="Test", position=99),
        "snapshot": portfolio_services.snapshot_create(actor=None, as_of=date(2026, 6, 30)),
        "followup": FollowUp.objects.create(
            account=strong_account, assignee=strong_account.owner, reason="dormant", due_on=date(2026, 7, 14)
        ),
        "churn": AccountChurn.objects.create(account=strong_account, churned_on=date(2026, 6, 1), reason="test"),
        "plan": assignment_services.assignment_plan(actor=None),
        "handover": _handover(strong_account),
        "logins": {
            "owner": User.objects.get(username="tanaka"),
            "other_rep": User.objects.get(username="suzuki"),
            "manager": manager,
            "admin": admin_user,
            "no_role": nobody,
        },
    }


def _handover(account: Account) -> Handover:
    """A hand-over of ``account`` to its owner, as an applied plan leaves one."""
    plan = Plan.objects.create(status="optimal", fingerprint="-")
    change = OwnerChange.objects.create(
        plan=plan, account=account, from_rep=None, to_rep=account.owner, reason="unowned", changed_at=WHEN
    )
    assert account.owner is not None
    return Handover.objects.create(change=change, rep=account.owner, account=account)


def _writes(w: dict[str, object]) -> dict[str, Callable[[User], object]]:
    account, deal, other, reason, snapshot = w["account"], w["deal"], w["other_rep"], w["reason"], w["snapshot"]
    assert isinstance(account, Account)
    assert isinstance(deal, Deal)
    assert isinstance(other, Rep)
    assert isinstance(reason, LostReason)
    assert isinstance(snapshot, Snapshot)
    queued = Job.objects.create(kind="snapshot")  # to cancel (in this test's transaction no job ever starts)
    followup, churn = w["followup"], w["churn"]
    assert isinstance(followup, FollowUp)
    assert isinstance(churn, AccountChurn)
    plan, handover = w["plan"], w["handover"]
    assert isinstance(plan, Plan)
    assert isinstance(handover, Handover)
    return {
        "account_update": lambda u: services.account_update(actor=u, account=account, changes={"region": "Kanto"}),
        "account_reassign": lambda u: services.account_update(actor=u, account=account, changes={"owner": other.pk}),
        "deal_update": lambda u: services.deal_update(actor=u, deal=deal, changes={"stage": "B"}),
        "deal_reassign": lambda u: services.deal_update(actor=u, deal=deal, changes={"owner": other.pk}),
        "activity_create": lambda u: services.activity_create(
            actor=u, account=account, kind="call", occurred_at=WHEN, rep=None if rep_of(u) else account.owner
        ),
        "activity_for_another_rep": lambda u: services.activity_create(
            actor=u, account=account, kind="call", occurred_at=WHEN, rep=other
        ),
        "target_set": lambda u: services.target_set(
            actor=u, rep=other, period_start=date(2026, 7, 1), period_end=date(2026, 7, 31), amount=Decimal(1)
        ),
        "company_settings_update": lambda u: services.company_settings_update(
            actor=u, currency="USD", fiscal_year_start_month=4, dormancy_days=90
        ),
        "lost_reason_create": lambda u: services.lost_reason_create(actor=u, code="test-new", label_ja="新規", label_en="New"),
        "lost_reason_set_active": lambda u: services.lost_reason_set_active(actor=u, reason=reason, active=False),
        "login_create": lambda u: services.login_create(actor=u, username="new", password=PASSWORD, role=Role.REP),
        "criteria_create": lambda u: portfolio_services.criteria_create(actor=u, near_margin=0.2),
        "snapshot_create": lambda u: portfolio_services.snapshot_create(actor=u, as_of=date(2026, 7, 31)),
        "snapshot_delete": lambda u: portfolio_services.snapshot_delete(actor=u, snapshot=snapshot),
        "model_train": lambda u: prediction_services.model_train(actor=u, as_of=date(2026, 6, 30)),
        "job_enqueue": lambda u: job_services.job_enqueue(actor=u, kind="train", params={"as_of": "2026-06-30"}),
        "job_cancel": lambda u: job_services.job_cancel(actor=u, job_id=queued.pk),
        "churn_record": lambda u: services.churn_record(actor=u, account=account, churned_on=date(2026, 7, 1), reason="closing"),
        "churn_withdraw": lambda u: services.churn_withdraw(actor=u, churn=churn),
        "followup_complete": lambda u: followup_services.followup_complete(actor=u, followup=followup, outcome="meeting"),
        "followup_cancel": lambda u: followup_services.followup_cancel(actor=u, followup=followup),
        "followup_reassign": lambda u: followup_services.followup_reassign(actor=u, followup=followup, assignee_id=other.pk),
        "account_release": lambda u: assignment_services.account_release(actor=u, account=account, reason="No budget"),
        "handover_done": lambda u: assignment_services.handover_done(actor=u, handover=handover),
        "account_pin": lambda u: assignment_services.account_pin(actor=u, account=account),
        "assignment_policy_update": lambda u: assignment_services.policy_version_create(actor=u, policy={"continuity": 1.0}),
        "assignment_plan": lambda u: assignment_services.assignment_plan(actor=u),
        "assignment_apply": lambda u: assignment_services.assignment_apply(actor=u, plan=plan),
        "buyer_type_update": lambda u: buyers_services.buyer_type_set(
            actor=u, account=account, buyer_type="skeptic", source="override"
        ),
        "key_person_update": lambda u: buyers_services.key_person_save(actor=u, account=account, values={"name": "山田"}),
        "objection_update": lambda u: buyers_services.objection_save(
            actor=u, account=account, values={"date": date(2026, 7, 1), "said": "高い"}
        ),
        "buyer_suggestions_compute": lambda u: buyers_services.suggestions_compute(actor=u, as_of=date(2026, 7, 31)),
        "duplicates_merge": lambda u: duplicates_merge(
            actor=u,
            kind="account",
            keep=Account.objects.get(external_id="ACC-ABC-1").pk,
            merge=[Account.objects.get(external_id="ACC-ABC-2").pk],
        ),
    }


def _state() -> tuple[object, ...]:
    """Everything the writes above could change."""
    account = Account.objects.get(external_id="ACC-1")
    deal = Deal.objects.get(external_id="D-1")
    return (
        account.region, account.owner_id, deal.stage, deal.owner_id, Activity.objects.count(), Target.objects.count(),
        LostReason.objects.filter(active=True).count(), LostReason.objects.count(), User.objects.count(),
        Criteria.objects.count(), Snapshot.objects.count(), CompanySettings.load().currency, ModelVersion.objects.count(),
        list(FollowUp.objects.values_list("status", "assignee_id")), AccountChurn.objects.count(),
        AccountChurn.objects.filter(withdrawn_at__isnull=True).count(),
        AccountRelease.objects.count(), Handover.objects.filter(done_at__isnull=False).count(), AccountPin.objects.count(),
        PolicyVersion.objects.count(), Plan.objects.count(), Plan.objects.filter(applied_at__isnull=False).count(),
        Criteria.objects.count(), Snapshot.objects.count(), CompanySettings.load().currency,
        account.buyer_type, KeyPerson.objects.count(), Objection.objects.count(), TypeSuggestion.objects.count(),
        list(Job.objects.order_by("pk").values_list("kind", "state")), Account.objects.count(),
    )  # fmt: skip


def test_the_table_names_every_write_there_is() -> None:
    assert set(EXPECTED) == set(RIGHTS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", sorted(EXPECTED))
def test_each_role_may_make_exactly_the_writes_of_the_table(world: dict[str, object], write: str, role: str) -> None:
    user = world["logins"][role]  # type: ignore[index]
    make = _writes(world)[write]
    before = _state()
    if role in EXPECTED[write]:
        make(user)
        assert _state() != before, f"{role} was allowed {write} but nothing changed"
    else:
        with pytest.raises(PermissionDenied):
            make(user)
        assert _state() == before, f"{role} was refused {write} but something was written"
    owner_id = world["account"].owner_id if RIGHTS[write].own_only else None  # type: ignore[attr-defined]
    assert allowed(user, write, owner_id=owner_id) is (role in EXPECTED[write])


def test_the_system_itself_may_make_every_write(world: dict[str, object]) -> None:
    services.account_update(actor=None, account=world["account"], changes={"region": "Kansai"})  # type: ignore[arg-type]
    assert Account.objects.get(external_id="ACC-1").region == "Kansai"
