"""The portfolio API on a small seeded demo: rows, matrix, migration, effort, targets; writes for managers only."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from kokyaku.crm.models import Deal, Target
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors import team_matrix, zone_migration
from kokyaku.portfolio.services import snapshot_create
from tests.api.conftest import token_client
from tests.portfolio.pages_demo import AS_OF, BEFORE, NOW, Demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def demo_manager_api(demo: Demo) -> Client:
    return token_client("manager")


@pytest.fixture
def demo_rep_api(demo: Demo) -> Client:
    return token_client("rep")


def test_rows_are_filtered_sorted_and_paginated(demo: Demo, demo_rep_api: Client, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(7):  # token auth (2), permission (2), snapshot, count, page
        response = demo_rep_api.get(
            "/api/portfolio/rows", {"owner": str(demo.rep.pk), "zone": "A", "sort": "-expected_value", "per_page": "3"}
        )
    assert response.status_code == 200, response.content
    body = response.json()
    expected = SnapshotRow.objects.filter(snapshot=demo.after, owner=demo.rep, zone="A")
    assert body["count"] == expected.count()
    assert body["snapshot"]["id"] == demo.after.pk
    evs = [Decimal(r["expected_value"]) for r in body["results"]]
    assert evs == sorted(evs, reverse=True)
    assert len(evs) == min(3, expected.count())
    assert {r["zone"] for r in body["results"]} <= {"A"}
    cell = demo_rep_api.get(
        "/api/portfolio/rows", {"snapshot": str(demo.before.pk), "price_band": "high", "probability_band": "high"}
    ).json()
    assert cell["count"] == team_matrix(demo.before).cells[0][0].accounts


def test_the_matrix_matches_the_selector(demo: Demo, demo_rep_api: Client) -> None:
    body = demo_rep_api.get("/api/portfolio/matrix").json()
    matrix = team_matrix(demo.after)
    assert body["zone_accounts"] == matrix.zone_accounts
    assert [c["accounts"] for c in body["cells"]] == [c.accounts for row in matrix.cells for c in row]
    assert body["total"] == 120


def test_migration_defaults_to_the_latest_two_snapshots(demo: Demo, demo_rep_api: Client) -> None:
    body = demo_rep_api.get("/api/portfolio/migration").json()
    assert (body["before"]["id"], body["after"]["id"]) == (demo.before.pk, demo.after.pk)
    assert body["counts"] == zone_migration(demo.before, demo.after).counts
    assert sum(f["accounts"] for f in body["flows"]) == 120


def test_latest_and_the_default_migration_follow_the_as_of_date_not_the_order_computed(demo: Demo, demo_rep_api: Client) -> None:
    late_august = snapshot_create(actor=None, as_of=BEFORE)  # a past portfolio rebuilt after the current one
    listed = [s["id"] for s in demo_rep_api.get("/api/portfolio/snapshots").json()]
    assert listed == [demo.after.pk, late_august.pk, demo.before.pk]
    assert demo_rep_api.get("/api/portfolio/rows", {"per_page": 1}).json()["snapshot"]["id"] == demo.after.pk
    assert demo_rep_api.get("/api/portfolio/matrix").json()["snapshot"]["id"] == demo.after.pk
    body = demo_rep_api.get("/api/portfolio/migration").json()
    assert (body["before"]["id"], body["after"]["id"]) == (late_august.pk, demo.after.pk)
    assert body["counts"] == zone_migration(late_august, demo.after).counts


def test_migration_refuses_snapshots_in_the_wrong_order(demo: Demo, demo_rep_api: Client) -> None:
    backwards = demo_rep_api.get("/api/portfolio/migration", {"before": demo.after.pk, "after": demo.before.pk})
    assert backwards.status_code == 400
    assert backwards.json() == {
        "detail": f"before: snapshot {demo.after.pk} (as of 2026-11-20) is not earlier than after: snapshot {demo.before.pk} "
        "(as of 2026-08-31); a migration runs forward in time, so swap them."
    }
    # The same as-of date: the one computed first comes first, so the one computed later cannot be before.
    recomputed = snapshot_create(actor=None, as_of=AS_OF)
    same_day = demo_rep_api.get("/api/portfolio/migration", {"before": recomputed.pk, "after": demo.after.pk})
    assert same_day.status_code == 400
    assert (
        f"snapshot {recomputed.pk} (as of 2026-11-20) is not earlier than after: snapshot {demo.after.pk}"
        in same_day.json()["detail"]
    )
    forward = demo_rep_api.get("/api/portfolio/migration", {"before": demo.after.pk, "after": recomputed.pk})
    assert forward.status_code == 200
    same = demo_rep_api.get("/api/portfolio/migration", {"before": demo.before.pk, "after": demo.before.pk})
    assert same.status_code == 400
    assert same.json()["detail"] == (
        f"before and after are the same snapshot {demo.before.pk} (as of 2026-08-31); give an earlier snapshot as before,"
        " or leave before out."
    )
    latest = demo_rep_api.get("/api/portfolio/migration", {"before": recomputed.pk})  # after=latest is the recomputed one
    assert latest.status_code == 400
    assert "the same snapshot" in latest.json()["detail"]


def test_migration_in_the_wrong_order_is_refused_in_the_readers_language(demo: Demo) -> None:
    client = token_client("rep", **{"Accept-Language": "ja"})
    body = client.get("/api/portfolio/migration", {"before": demo.after.pk, "after": demo.before.pk}).json()
    assert body["detail"] == (
        f"before（スナップショット {demo.after.pk}、2026-11-20 時点）が after（スナップショット {demo.before.pk}、"
        "2026-08-31 時点）より前ではありません。移動は時系列順に比較するため、入れ替えてください。"
    )


def test_effort_vs_return_per_zone_and_per_rep(demo: Demo, demo_rep_api: Client) -> None:
    team = demo_rep_api.get("/api/portfolio/effort", {"start": "2025-11-01", "end": "2026-11-20"}).json()
    assert {r["zone"] for r in team["rows"]} <= {"A", "B", "C", ""}
    assert sum(r["effort_share"] for r in team["rows"]) == pytest.approx(1.0)
    per_rep = demo_rep_api.get("/api/portfolio/effort", {"start": "2025-11-01", "end": "2026-11-20", "per_rep": "true"}).json()
    assert any(r["rep_id"] == demo.rep.pk for r in per_rep["rows"])
    backwards = demo_rep_api.get("/api/portfolio/effort", {"start": "2026-11-20", "end": "2026-01-01"})
    assert (backwards.status_code, backwards.json()) == (400, {"detail": "start (2026-11-20) is after end (2026-01-01)."})
    ja = demo_rep_api.get(
        "/api/portfolio/effort", {"start": "2026-11-20", "end": "2026-01-01"}, headers={"accept-language": "ja"}
    )
    assert ja.json() == {"detail": "start（2026-11-20）が end（2026-01-01）より後です。"}
    not_an_id = demo_rep_api.get("/api/portfolio/effort", {"start": "2025-11-01", "end": "2026-11-20", "snapshot": "last"})
    assert not_an_id.status_code == 422
    assert not_an_id.json()["detail"][0]["loc"] == ["query", "snapshot"]


def test_targets_show_the_forecast_and_reject_a_bad_period(demo: Demo, demo_rep_api: Client) -> None:
    body = demo_rep_api.get("/api/portfolio/targets", {"period": "2026-11"}).json()
    expected = Target.objects.filter(period_start="2026-11-01").count()
    assert len(body["reps"]) == expected
    assert body["team"]["target"] == pytest.approx(
        float(sum(Target.objects.filter(period_start="2026-11-01").values_list("amount", flat=True)))
    )
    bad = demo_rep_api.get("/api/portfolio/targets", {"period": "Q5"})
    assert bad.status_code == 422
    (error,) = bad.json()["detail"]  # shaped like every other 422: a list (docs/api.md)
    assert error["loc"] == ["query", "period"]
    assert error["msg"] == "'Q5': use FY2026 (a fiscal year), FY2026-Q1 (a fiscal quarter) or 2026-04 (a month)."
    (ja,) = demo_rep_api.get("/api/portfolio/targets", {"period": "Q5"}, headers={"accept-language": "ja"}).json()["detail"]
    assert ja["msg"] == "'Q5': FY2026（会計年度）、FY2026-Q1（四半期）、2026-04（月）のいずれかの形で指定してください。"


def test_targets_count_open_deals_by_their_expected_close_date(demo: Demo, demo_rep_api: Client) -> None:
    body = demo_rep_api.get("/api/portfolio/targets", {"period": "2026-11"}).json()
    team = body["team"]
    assert team["weighted_pipeline"] > 0
    assert 0 < team["yomi_won"] < team["yomi_high"] < team["yomi_mid"]
    assert team["yomi_won"] == team["won"]
    assert sum(r["weighted_pipeline"] for r in body["reps"]) == pytest.approx(team["weighted_pipeline"])
    overdue = Deal.objects.filter(status=Deal.Status.OPEN, expected_close_on__lt=NOW.date()).count()
    assert body["open_deals"] == {"undated": 0, "overdue": overdue}
    # A rep's own figures, and an open deal that loses its date drops out of the pipeline and is counted.
    mine = demo_rep_api.get("/api/portfolio/targets", {"period": "2026-11", "rep": str(demo.rep.pk)}).json()
    assert [r["rep_id"] for r in mine["reps"]] == [demo.rep.pk]
    Deal.objects.filter(status=Deal.Status.OPEN).update(expected_close_on=None)
    undated = demo_rep_api.get("/api/portfolio/targets", {"period": "2026-11"}).json()
    assert undated["team"]["pipeline"] == 0
    assert undated["open_deals"]["undated"] == Deal.objects.filter(status=Deal.Status.OPEN).count()


@pytest.mark.filterwarnings("error::DeprecationWarning")  # e.g. ninja's "Returning tuple (status_code, response)"
def test_only_managers_set_targets_or_compute_snapshots(demo: Demo, demo_rep_api: Client, demo_manager_api: Client) -> None:
    payload = {"rep_id": demo.rep.pk, "period": "FY2027", "amount": "120000000"}
    assert demo_rep_api.put("/api/portfolio/targets", payload, content_type="application/json").status_code == 403
    assert not Target.objects.filter(rep=demo.rep, period_start="2027-04-01").exists()
    response = demo_manager_api.put("/api/portfolio/targets", payload, content_type="application/json")
    assert response.status_code == 200, response.content
    assert Target.objects.get(rep=demo.rep, period_start="2027-04-01", period_end="2028-03-31").amount == Decimal("120000000")
    assert demo_rep_api.post("/api/portfolio/snapshots").status_code == 403
    assert Snapshot.objects.count() == 2
    created = demo_manager_api.post("/api/portfolio/snapshots")
    assert created.status_code == 201
    assert created.json()["account_count"] == 120


def test_without_a_snapshot_the_reads_say_so(demo: Demo) -> None:
    Snapshot.objects.all().delete()
    response = token_client("rep").get("/api/portfolio/matrix")
    assert response.status_code == 404
    assert "compute one" in response.json()["detail"]


def test_anonymous_callers_are_refused(demo: Demo) -> None:
    assert Client().get("/api/portfolio/rows").status_code == 401
