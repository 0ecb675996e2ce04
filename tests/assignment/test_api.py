"""The assignment API: make a plan, list its moves, exclude one, apply; releases and pins; who may."""

from __future__ import annotations

import pytest

from kokyaku.assignment.models import AccountPin, AccountRelease, OwnerChange
from kokyaku.crm.models import Account
from tests.api.conftest import token_client
from tests.assignment.conftest import Book

pytestmark = pytest.mark.django_db


def test_plan_moves_exclude_apply(book: Book) -> None:
    api = token_client("sato")
    made = api.post("/api/assignment/plans")
    assert made.status_code == 201, made.content
    plan = made.json()
    assert plan["status"] == "optimal"
    assert plan["moves"] == 12
    assert plan["policy_fit"] == 1.0
    assert plan["baselines"]["round_robin"]["policy_fit"] < 1.0
    moves = api.get(f"/api/assignment/plans/{plan['id']}/moves?limit=5&count=true").json()
    assert moves["count"] == 12
    assert len(moves["items"]) == 5
    first = moves["items"][0]
    assert first["reason_text"]
    assert api.post(
        f"/api/assignment/plans/{plan['id']}/exclude", {"move_ids": [first["id"]]}, content_type="application/json"
    ).json() == {"changed": 1}
    applied = api.post(f"/api/assignment/plans/{plan['id']}/apply")
    assert applied.status_code == 200
    assert applied.json()["moved"] == 11
    assert OwnerChange.objects.count() == 11
    again = api.post(f"/api/assignment/plans/{plan['id']}/apply")
    assert again.status_code == 400
    assert "already applied" in again.json()["detail"]
    assert api.get("/api/assignment/plans").json()["items"][0]["applied_at"] is not None


def test_reps_may_not_plan_but_release_their_own(book: Book) -> None:
    rep = token_client("tanaka")
    assert rep.post("/api/assignment/plans").status_code == 403
    assert rep.get("/api/assignment/plans").status_code == 403
    mine = Account.objects.filter(owner=book.strong).first()
    theirs = Account.objects.filter(owner=book.developing).first()
    assert mine is not None
    assert theirs is not None
    done = rep.post(f"/api/assignment/accounts/{mine.pk}/release", {"reason": "No budget"}, content_type="application/json")
    assert done.status_code == 201
    assert done.json()["reason"] == "No budget"
    refused = rep.post(f"/api/assignment/accounts/{theirs.pk}/release", {"reason": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert AccountRelease.objects.count() == 1
    assert rep.put(f"/api/assignment/accounts/{mine.pk}/pin", {}, content_type="application/json").status_code == 403
    manager = token_client("sato")
    assert (
        manager.put(f"/api/assignment/accounts/{mine.pk}/pin", {"note": "key"}, content_type="application/json").status_code
        == 204
    )
    assert AccountPin.objects.get().note == "key"
