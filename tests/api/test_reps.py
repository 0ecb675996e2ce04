"""/api/reps and /api/teams: lists with filters, details."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kokyaku.crm.models import Rep, Team
from tests.api.conftest import QueryCounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(strong_rep: Rep, developing_rep: Rep, manager: User, osaka_rep: Rep) -> dict[str, Rep]:
    """The Tokyo team (Sato, Suzuki, Tanaka), an Osaka rep, and a Tokyo rep who has left (created last: ties sort by id)."""
    left = Rep.objects.create(name="Ito Ren", team=strong_rep.team, tier=Rep.Tier.DEVELOPING, active=False)
    return {"tanaka": strong_rep, "suzuki": developing_rep, "kato": osaka_rep, "ito": left}


def rep_names(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [item["name"] for item in items]


def test_reps_list_by_name_with_team_tier_and_login(rep_api: Client, people: dict[str, Rep]) -> None:
    body = rep_api.get("/api/reps").json()
    assert rep_names(body) == ["Ito Ren", "Kato Mei", "Sato Kenji", "Suzuki Yui", "Tanaka Hiroshi"]
    tanaka = body["items"][4]
    assert (tanaka["tier"], tanaka["team"]["name"], tanaka["username"], tanaka["capacity"]) == ("strong", "Tokyo", "tanaka", 40)
    assert body["items"][0]["username"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "strong"}, ["Sato Kenji", "Tanaka Hiroshi"]),
        ({"tier": "developing", "active": "true"}, ["Kato Mei", "Suzuki Yui"]),
        ({"active": "false"}, ["Ito Ren"]),
        ({"ordering": "-capacity"}, ["Kato Mei", "Ito Ren", "Tanaka Hiroshi", "Suzuki Yui", "Sato Kenji"]),
    ],
)
def test_reps_filter_and_order(rep_api: Client, people: dict[str, Rep], params: dict[str, str], expected: list[str]) -> None:
    assert rep_names(rep_api.get("/api/reps", params).json()) == expected


def test_reps_filter_by_team(rep_api: Client, people: dict[str, Rep], other_team: Team) -> None:
    assert rep_names(rep_api.get("/api/reps", {"team": other_team.pk}).json()) == ["Kato Mei"]


def test_an_unknown_tier_is_422(rep_api: Client) -> None:
    assert rep_api.get("/api/reps", {"tier": "rockstar"}).status_code == 422


def test_listing_reps_costs_the_same_queries_for_50_rows_as_for_5(rep_api: Client, team: Team, queries_for: QueryCounter) -> None:
    Rep.objects.bulk_create(Rep(name=f"Few {i}", team=team) for i in range(5))
    few = queries_for(rep_api, "/api/reps?limit=100")
    Rep.objects.bulk_create(Rep(name=f"Many {i}", team=team) for i in range(45))
    many = queries_for(rep_api, "/api/reps?limit=100")
    assert many == few <= 6


def test_rep_detail_and_404(rep_api: Client, people: dict[str, Rep]) -> None:
    assert rep_api.get(f"/api/reps/{people['kato'].pk}").json()["team"]["name"] == "Osaka"
    response = rep_api.get("/api/reps/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Rep 999999 not found."}


def test_teams_list_with_their_active_rep_counts(rep_api: Client, people: dict[str, Rep]) -> None:
    body = rep_api.get("/api/teams").json()
    assert [(t["name"], t["rep_count"]) for t in body["items"]] == [("Osaka", 1), ("Tokyo", 3)]


def test_listing_teams_costs_the_same_queries_for_50_teams_as_for_5(
    rep_api: Client, strong_rep: Rep, queries_for: QueryCounter
) -> None:
    Team.objects.bulk_create(Team(name=f"Few {i}") for i in range(4))
    few = queries_for(rep_api, "/api/teams?limit=100")
    Team.objects.bulk_create(Team(name=f"Many {i}") for i in range(45))
    many = queries_for(rep_api, "/api/teams?limit=100")
    assert many == few <= 6


def test_team_detail_and_404(rep_api: Client, people: dict[str, Rep], team: Team) -> None:
    assert rep_api.get(f"/api/teams/{team.pk}").json() == {"id": team.pk, "name": "Tokyo", "rep_count": 3}
    response = rep_api.get("/api/teams/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Team 999999 not found."}
