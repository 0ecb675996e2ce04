"""Each rep's own matrix: the heatmap and scatter on My portfolio, and the team page narrowed to one rep."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.selectors import team_matrix
from tests.portfolio.pages_demo import Demo, demo_client

pytestmark = pytest.mark.django_db


def _scatter_ids(html: str) -> set[int]:
    data = json.loads(re.search(r'<script id="scatter-data" type="application/json">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    return {i for zone in data["zones"].values() for i in zone["id"]}


def test_my_portfolio_draws_the_reps_own_heatmap_and_scatter(demo: Demo) -> None:
    html = demo_client("rep").get(reverse("portfolio:mine")).content.decode()
    assert 'data-testid="matrix"' in html
    assert 'data-testid="scatter"' in html
    mine = set(
        SnapshotRow.objects.filter(snapshot=demo.after, owner=demo.rep).exclude(zone="").values_list("account_id", flat=True)
    )
    assert mine
    assert _scatter_ids(html) == mine  # every zoned account of this rep, and no one else's
    cell = team_matrix(demo.after, owner_id=demo.rep.pk).cells[0][0]
    link = re.search(
        r'<a href="([^"]+)" data-testid="matrix-cell-high-high">\s*<span class="heat-zone">\w</span>\s*'
        r'<span class="heat-n">(\d+)',
        html,
    )
    assert link is not None
    assert (link.group(1).startswith("/portfolio/mine/?"), int(link.group(2))) == (True, cell.accounts)


def test_a_manager_looks_at_one_rep_on_the_team_page(demo: Demo) -> None:
    client = demo_client("manager")
    team = client.get(reverse("portfolio:team"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/portfolio/?rep={demo.rep2.pk}&amp;snapshot={demo.after.pk}"' in team  # the breakdown's rep links
    html = client.get(reverse("portfolio:team"), {"rep": str(demo.rep2.pk)}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Portfolio of {demo.rep2.name}" in html
    assert f'name="rep" value="{demo.rep2.pk}"' in html  # the picked rep in the search box (no option per rep)
    assert f'value="{demo.rep2.name}"' in html
    theirs = SnapshotRow.objects.filter(snapshot=demo.after, owner=demo.rep2)
    assert _scatter_ids(html) == set(theirs.exclude(zone="").values_list("account_id", flat=True))
    matrix = team_matrix(demo.after, owner_id=demo.rep2.pk)
    assert re.search(r'data-testid="unzoned-accounts">(\d+)<', html).group(1) == str(matrix.unzoned)  # type: ignore[union-attr]
    assert f"owner={demo.rep2.pk}&amp;price_band=high&amp;probability_band=high" in html
    assert 'data-testid="rep-breakdown"' not in html


def test_a_rep_without_zoned_accounts_gets_a_sentence_not_an_empty_scatter(demo: Demo) -> None:
    """A rep whose deals sit on accounts nobody owns yet (the Maven CRM data): My portfolio drew bare
    axes (0-100 %, 1-1M) under "0 accounts". It says there is nothing to plot instead."""
    from kokyaku.crm.models import Rep
    from kokyaku.crm.services import login_create
    from kokyaku.users.roles import Role
    from tests.conftest import PASSWORD, client_for

    newcomer = Rep.objects.create(name="Newcomer", team=demo.rep.team)
    login_create(actor=None, username="newcomer", password=PASSWORD, role=Role.REP, rep_id=newcomer.pk)
    html = client_for("newcomer").get(reverse("portfolio:mine"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="matrix"' in html
    assert 'data-testid="scatter"' not in html
    assert '<div id="scatter"' not in html
    assert "No zoned account to plot" in html
