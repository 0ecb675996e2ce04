"""Records for the security tests: per owner (the demo's "rep" and "rep2") and shared, one of each kind a route takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from kokyaku.assignment.models import AccountRelease, Handover, OwnerChange, Plan
from kokyaku.buyers.models import KeyPerson, Objection, TypeSuggestion
from kokyaku.crm.models import Account, AccountChurn, Activity, Deal, LostReason, Rep
from kokyaku.followups.models import FollowUp
from kokyaku.jobs.models import Job
from kokyaku.users.services import api_token_create
from tests.portfolio.pages_demo import Demo

WHEN = datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Asia/Tokyo"))


@dataclass(frozen=True)
class Records:
    """The ids a route's parameters take: per owner (the "rep" login's rep, or rep2's) and shared ones."""

    own: dict[str, int]
    other: dict[str, int]
    shared: dict[str, str]


def _handover(account: Account) -> Handover:
    plan = Plan.objects.create(status="optimal", fingerprint="-")
    change = OwnerChange.objects.create(
        plan=plan, account=account, from_rep=None, to_rep=account.owner, reason="unowned", changed_at=WHEN
    )
    assert account.owner is not None
    return Handover.objects.create(change=change, rep=account.owner, account=account)


def _followup(rep: Rep, account: Account) -> FollowUp:
    """The open follow-up of ``account`` (one at most per account), assigned to ``rep``."""
    open_one = FollowUp.objects.filter(account=account).order_by("-id").first()
    if open_one is None:
        return FollowUp.objects.create(account=account, assignee=rep, reason="dormant", due_on=date(2026, 12, 1))
    FollowUp.objects.filter(pk=open_one.pk).update(assignee=rep)
    return open_one


def _owned(rep: Rep, account: Account) -> dict[str, int]:
    deal = Deal.objects.filter(account=account, owner=rep).order_by("id").first() or Deal.objects.create(
        external_id=f"D-M-{rep.pk}", account=account, owner=rep, name="Matrix", amount=1, opened_on=date(2026, 1, 5)
    )
    person = KeyPerson.objects.create(account=account, name="Ito", influence=3)
    TypeSuggestion.objects.update_or_create(account=account, defaults={"buyer_type": "conservative", "computed_at": WHEN})
    objection = Objection.objects.create(account=account, date=date(2026, 11, 1), said="Too dear")
    return {
        "account_id": account.pk,
        "rep_id": rep.pk,
        "deal_id": deal.pk,
        "followup_id": _followup(rep, account).pk,
        "person_id": person.pk,
        "objection_id": objection.pk,
        "churn_id": AccountChurn.objects.create(account=account, churned_on=date(2026, 11, 1), reason="matrix").pk,
        "release_id": AccountRelease.objects.create(account=account, reason="matrix").pk,
        "handover_id": _handover(account).pk,
        "activity_id": Activity.objects.filter(account=account).values_list("pk", flat=True).first() or 0,
    }


@pytest.fixture(scope="module")
def records(demo: Demo, django_db_blocker: Any) -> Records:
    with django_db_blocker.unblock():
        token, _plain = api_token_create(user=User.objects.get(username="rep"))
        shared = {
            "reason_id": str(LostReason.objects.order_by("id").values_list("pk", flat=True).first()),
            "token_id": str(token.pk),
            "plan_id": str(Plan.objects.create(status="optimal", fingerprint="-").pk),
            "job_id": str(Job.objects.create(kind="snapshot", state=Job.State.FAILED).pk),  # retry-able
            "run_id": "999999",
            "upload_id": "no-such-upload",
            "kind": "snapshot",
            "rep_id": str(demo.rep.pk),
            "team_id": str(demo.rep.team_id),
        }
        return Records(own=_owned(demo.rep, demo.rep_account), other=_owned(demo.rep2, demo.rep2_account), shared=shared)
