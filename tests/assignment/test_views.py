"""The assignment pages: policy, plans, review with exclusions, apply, an account's release and pin, the rep's home."""

from __future__ import annotations

import pytest
from django.test import Client

from kokyaku.assignment.models import AccountPin, AccountRelease, Handover, Plan, PlanMove, PolicyVersion
from kokyaku.crm.models import Account, Rep
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from tests.assignment.conftest import Book
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _make_plan(client: Client) -> Plan:
    """Press "Make a plan": a background job; its page links the plan once the job is done."""
    response = client.post("/assignment/")
    job = Job.objects.filter(kind="assignment_plan").latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert runner.wait(job.pk).state == Job.State.DONE
    plan = Plan.objects.latest("id")
    page = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert f'href="/assignment/plans/{plan.pk}/"' in page  # the job's result links the plan
    return plan


def test_reps_may_not_open_the_manager_pages(book: Book, rep_client: Client) -> None:
    for url in ("/assignment/", "/assignment/policy/"):
        assert rep_client.get(url).status_code in (302, 403)
    assert rep_client.post("/assignment/").status_code in (302, 403)
    assert not Plan.objects.exists()


@pytest.mark.django_db(transaction=True)  # the plan is a job: a worker thread reads what the test wrote
def test_manager_plans_reviews_excludes_and_applies(book: Book, manager_client: Client) -> None:
    strong = book.strong
    assert isinstance(strong, Rep)
    plan = _make_plan(manager_client)
    page = manager_client.get(f"/assignment/plans/{plan.pk}/").content.decode()
    assert "100.0%" in page  # the plan's fit
    assert "visionary: a developing rep grows with it" in page
    move = PlanMove.objects.filter(plan=plan).order_by("id").first()
    assert move is not None
    manager_client.post(f"/assignment/plans/{plan.pk}/exclude/", {"move": [move.pk], "exclude": "1"})
    assert PlanMove.objects.get(pk=move.pk).excluded
    manager_client.post(f"/assignment/plans/{plan.pk}/apply/")
    assert Account.objects.get(pk=move.account_id).owner_id == move.from_rep_id
    assert Plan.objects.get(pk=plan.pk).applied_at is not None
    assert "Applied on" in manager_client.get(f"/assignment/plans/{plan.pk}/").content.decode()


@pytest.mark.django_db(transaction=True)  # the plan is a job: a worker thread reads what the test wrote
def test_the_review_page_says_open_deals_move_with_their_accounts(book: Book, manager_client: Client) -> None:
    from datetime import date
    from decimal import Decimal

    from kokyaku.crm.models import Deal

    moving = Account.objects.filter(owner=book.strong, buyer_type="visionary").order_by("id")
    for i, account in enumerate(moving[:2]):
        Deal.objects.create(
            external_id=f"OPEN-{i}", account=account, owner=book.strong, amount=Decimal(1000), opened_on=date(2026, 1, 5)
        )
    _make_plan(manager_client)
    plan = Plan.objects.get()
    page = manager_client.get(f"/assignment/plans/{plan.pk}/").content.decode()
    assert 'data-testid="plan-open-deals">2<' in page
    assert "with its open deals to the new owner" in page
    move = PlanMove.objects.get(plan=plan, account=moving[0])
    manager_client.post(f"/assignment/plans/{plan.pk}/exclude/", {"move": [move.pk], "exclude": "1"})
    assert 'data-testid="plan-open-deals">1<' in manager_client.get(f"/assignment/plans/{plan.pk}/").content.decode()
    manager_client.post(f"/assignment/plans/{plan.pk}/apply/")
    owners = dict(Deal.objects.values_list("external_id", "owner_id"))
    assert owners == {"OPEN-0": book.strong.pk, "OPEN-1": book.developing.pk}  # the excluded account kept its deal


@pytest.mark.django_db(transaction=True)  # the plan is a job: a worker thread reads what the test wrote
def test_the_new_owner_sees_the_account_and_why_on_the_home_page(book: Book, manager_client: Client) -> None:
    _make_plan(manager_client)
    plan = Plan.objects.get()
    manager_client.post(f"/assignment/plans/{plan.pk}/apply/")
    home = client_for("suzuki").get("/").content.decode()
    assert "Accounts handed over to you" in home
    assert "skeptic: a developing rep collects its objections" in home


def test_policy_page_saves_a_version_and_rep_settings(book: Book, manager_client: Client) -> None:
    page = manager_client.get("/assignment/policy/")
    assert page.status_code == 200
    weights = {"released": 6, "pragmatist": 3, "conservative": 3, "zone_a": 2, "visionary": 3, "skeptic": 3, "prospect": 2}
    data: dict[str, object] = {f"weight_{t}": w for t, w in weights.items()}
    data.update(continuity="1.5", keep_team="on", dormant_follow_up="on", note="more continuity")
    for rep in Rep.objects.all():
        data.update({f"rep_{rep.pk}_tier": rep.tier, f"rep_{rep.pk}_capacity": 50, f"rep_{rep.pk}_value": ""})
        if rep.active:
            data[f"rep_{rep.pk}_active"] = "on"
    assert manager_client.post("/assignment/policy/", data).status_code == 302
    version = PolicyVersion.objects.get()
    assert version.policy["continuity"] == 1.5
    assert version.note == "more continuity"
    assert set(Rep.objects.values_list("capacity", flat=True)) == {50}
    data["weight_skeptic"] = "101"
    assert manager_client.post("/assignment/policy/", data).status_code == 400
    assert PolicyVersion.objects.count() == 1


def test_a_strong_rep_releases_an_account_and_a_manager_pins_one(book: Book, rep_client: Client, manager_client: Client) -> None:
    account = Account.objects.filter(owner=book.strong).first()
    assert account is not None
    url = f"/assignment/accounts/{account.pk}/"
    assert rep_client.post(url, {"action": "release", "reason": "Chose a competitor"}).status_code == 302
    assert AccountRelease.objects.get(account=account).reason == "Chose a competitor"
    assert "Chose a competitor" in rep_client.get(url).content.decode()
    rep_client.post(url, {"action": "pin"})
    assert not AccountPin.objects.exists()  # a rep may not pin
    manager_client.post(url, {"action": "pin", "note": "key account"})
    assert AccountPin.objects.get(account=account).note == "key account"


def test_the_account_page_links_to_release_and_pin(book: Book, rep_client: Client) -> None:
    account = Account.objects.filter(owner=book.strong).first()
    assert account is not None
    page = rep_client.get(f"/portfolio/accounts/{account.pk}/").content.decode()
    assert f'href="/assignment/accounts/{account.pk}/"' in page


@pytest.mark.django_db(transaction=True)  # the plan is a job: a worker thread reads what the test wrote
def test_only_the_new_owner_marks_a_handover_taken_on(book: Book, manager_client: Client, rep_client: Client) -> None:
    _make_plan(manager_client)
    manager_client.post(f"/assignment/plans/{Plan.objects.get().pk}/apply/")
    handover = Handover.objects.filter(rep=book.developing).order_by("id").first()
    assert handover is not None
    rep_client.post(f"/assignment/handovers/{handover.pk}/done/")  # Tanaka: not his
    assert Handover.objects.get(pk=handover.pk).done_at is None
    suzuki = client_for("suzuki")
    assert suzuki.post(f"/assignment/handovers/{handover.pk}/done/").status_code == 302
    assert Handover.objects.get(pk=handover.pk).done_at is not None
    assert suzuki.get("/").content.decode().count('data-testid="handover-row"') == 5
