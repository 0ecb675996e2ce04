"""Portfolio pages on a small seeded demo: real numbers on every page, every write permission-checked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kokyaku.crm.models import Account, Activity, Deal, Target
from kokyaku.portfolio.models import Criteria, Snapshot, SnapshotRow
from kokyaku.portfolio.selectors import (
    accounts_added_since,
    portfolio_table,
    rep_breakdown_page,
    scatter_points,
    team_matrix,
)
from kokyaku.portfolio.services import snapshot_create
from tests.portfolio import oracles
from tests.portfolio.pages_demo import AS_OF, BEFORE, NOW, Demo, demo_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def demo_manager_client(demo: Demo) -> Client:
    return demo_client("manager")


@pytest.fixture
def demo_rep_client(demo: Demo) -> Client:
    return demo_client("rep")


@pytest.fixture
def demo_rep2_client(demo: Demo) -> Client:
    return demo_client("rep2")


def _html(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:3000]
    return response.content.decode()


def _testid(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', html)
    assert match, f"no element with data-testid={testid}"
    return match.group(1).strip()


# -- pages render with real numbers -----------------------------------------------------------------


def test_the_team_page_shows_the_zone_counts_matrix_scatter_and_rep_breakdown(demo: Demo, demo_manager_client: Client) -> None:
    html = _html(demo_manager_client, reverse("portfolio:team"))
    expected = oracles.matrix(demo.after)
    for zone in ("A", "B", "C"):
        assert _testid(html, f"zone-{zone}-accounts") == f"{expected['zones'][zone]:,}"
    assert _testid(html, "unzoned-accounts") == f"{expected['unzoned']:,}"
    # The high × high cell links to its accounts and shows their count and expected value.
    cell = re.search(r'<a href="([^"]*)" data-testid="matrix-cell-high-high">(.*?)</a>', html, flags=re.DOTALL)
    assert cell
    assert cell.group(1) == f"/portfolio/accounts/?snapshot={demo.after.pk}&amp;price_band=high&amp;probability_band=high"
    assert f'<span class="heat-n">{expected["cells"][("high", "high")]:,}</span>' in cell.group(2)
    assert f'<span class="heat-ev">¥{expected["ev"][("high", "high")]:,.0f}</span>' in cell.group(2)
    # The scatter: the zoned accounts, every k-th one when there are more than the page shows.
    scatter = json.loads(re.search(r'<script id="scatter-data" type="application/json">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    ids, sampled = oracles.scatter_ids(demo.after, max_points=2000)
    assert sorted(i for z in scatter["zones"].values() for i in z["id"]) == sorted(ids)
    assert (scatter["total"], scatter["sampled"]) == (sum(expected["zones"].values()), sampled)
    assert "/static/plotly/plotly-cartesian.min.js" in html
    # The first reps of the breakdown, by name, with their accounts.
    table = html.split('data-testid="rep-breakdown"')[1].split("</table>")[0]
    names = re.findall(rf'snapshot={demo.after.pk}">([^<]+)</a>', table)
    by_owner = oracles.breakdown(demo.after)
    owners = dict(SnapshotRow.objects.filter(snapshot=demo.after).values_list("owner__name", "owner_id"))
    assert names == sorted(names)
    assert names[:3] == sorted(n for n in owners if n)[:3]
    first = by_owner[owners[names[0]]]
    assert f'<td class="num">{first["accounts"]:,}</td>' in table


def test_a_matrix_cell_links_to_exactly_its_accounts(demo: Demo, demo_manager_client: Client) -> None:
    cell = team_matrix(demo.after).cells[0][0]
    url = reverse("portfolio:accounts") + f"?snapshot={demo.after.pk}&price_band=high&probability_band=high"
    html = _html(demo_manager_client, url)
    assert f"{cell.accounts} accounts" in html
    names = set(
        SnapshotRow.objects.filter(snapshot=demo.after, price_band="high", probability_band="high").values_list(
            "account__name", flat=True
        )[:5]
    )
    assert all(name in html for name in names)


def test_my_portfolio_lists_only_my_accounts_filtered_and_sorted(demo: Demo, demo_rep_client: Client) -> None:
    html = _html(demo_rep_client, reverse("portfolio:mine") + "?sort=name")
    mine = SnapshotRow.objects.filter(snapshot=demo.after, owner=demo.rep)
    assert f"{mine.count()} accounts" in html
    others = SnapshotRow.objects.filter(snapshot=demo.after).exclude(owner=demo.rep).values_list("account__name", flat=True)
    first_mine = mine.order_by("account__name").values_list("account__name", flat=True).first()
    assert first_mine is not None
    assert first_mine in html
    assert not any(f">{name}</a>" in html for name in others if not mine.filter(account__name=name).exists())
    zone_a = mine.filter(zone="A").count()
    assert f"{zone_a} account" in _html(demo_rep_client, reverse("portfolio:mine") + "?zone=A")
    near = mine.filter(near_boundary=True).count()
    assert f"{near} account" in _html(demo_rep_client, reverse("portfolio:mine") + "?near=1")


def test_an_htmx_request_gets_only_the_table(demo: Demo, demo_rep_client: Client) -> None:
    response = demo_rep_client.get(reverse("portfolio:mine") + "?zone=B", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="portfolio-table"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_the_account_page_shows_zone_deals_activities_and_zone_history(demo: Demo, demo_rep2_client: Client) -> None:
    account = demo.rep_account
    html = _html(demo_rep2_client, reverse("portfolio:account", args=[account.pk]))
    assert account.name in html
    history = html.split('data-testid="zone-history"')[1].split('data-testid="account-deals"')[0]
    assert history.count('<td class="nowrap">2026-') == 2  # one row per snapshot
    assert "2026-08-31" in history
    assert "2026-11-20" in history
    deal = Deal.objects.filter(account=account).order_by("-opened_on", "-id").first()
    assert deal is not None  # the demo gives every account of a rep at least one deal
    deals = html.split('data-testid="account-deals"')[1].split("</table>")[0]
    assert (deal.name or deal.external_id) in deals
    assert deals.count("<tr>") == Deal.objects.filter(account=account).count() + 1  # the header, one row per deal
    assert 'data-testid="activity-form"' not in html  # rep2 does not own it


def test_the_review_page_lists_moves_and_the_migration_matrix_with_its_cells(demo: Demo, demo_manager_client: Client) -> None:
    html = _html(demo_manager_client, reverse("portfolio:review"))
    was = dict(SnapshotRow.objects.filter(snapshot=demo.before).values_list("account_id", "zone"))
    now = dict(SnapshotRow.objects.filter(snapshot=demo.after).values_list("account_id", "zone"))
    moved = sum(1 for account_id, zone in now.items() if account_id in was and was[account_id] != zone)
    assert moved > 0
    assert f"{moved} account" in html
    assert 'id="flows-data"' in html
    b_to_a = sum(1 for account_id, zone in now.items() if was.get(account_id) == "B" and zone == "A")
    assert b_to_a > 0  # the seeded demo has accounts moving up from B
    assert _testid(html, "migration-B-A") == str(b_to_a)
    query = f"?before={demo.before.pk}&after={demo.after.pk}&from=B&to=A"
    cell = _html(demo_manager_client, reverse("portfolio:review") + query)
    assert f"B → A: {b_to_a} accounts" in cell


def test_a_past_snapshot_computed_last_does_not_become_the_current_one(demo: Demo, demo_manager_client: Client) -> None:
    # `kokyaku snapshot --as-of 2026-08-31` after the current snapshot: pages keep showing 2026-11-20.
    late_august = snapshot_create(actor=None, as_of=BEFORE)
    as_of = demo.after.as_of.isoformat()
    assert f"Snapshot {demo.after.pk} as of {as_of}" in _html(demo_manager_client, reverse("portfolio:team"))
    assert f"From snapshot {demo.after.pk} as of {as_of}" in _html(demo_manager_client, reverse("portfolio:accounts"))
    assert f"snapshot of {as_of}" in _html(demo_manager_client, "/")
    criteria = _html(demo_manager_client, reverse("portfolio:criteria"))
    assert f"snapshot {demo.after.pk} as of {as_of}" in criteria
    # The picker lists snapshots by as-of date, latest first.
    picker = re.findall(
        r'<option value="(\d+)"[^>]*>#\d+ · ([\d-]+)</option>', _html(demo_manager_client, reverse("portfolio:team"))
    )
    assert [d for _id, d in picker] == sorted((d for _id, d in picker), reverse=True)
    assert int(picker[0][0]) == demo.after.pk
    # Review compares forward in time by default: the August snapshot (the newest of that date) → November.
    review = _html(demo_manager_client, reverse("portfolio:review"))
    assert re.search(rf'name="before">.*?<option value="{late_august.pk}" selected', review, flags=re.DOTALL)
    assert re.search(rf'name="after">.*?<option value="{demo.after.pk}" selected', review, flags=re.DOTALL)
    assert f"{BEFORE.isoformat()} (rows) → {as_of} (columns)" in review
    assert 'data-testid="review-backwards"' not in review
    was = dict(SnapshotRow.objects.filter(snapshot=late_august).values_list("account_id", "zone"))
    rank = {"A": 0, "B": 1, "C": 2, "": 3}
    ups = [
        aid
        for aid, zone in SnapshotRow.objects.filter(snapshot=demo.after).values_list("account_id", "zone")
        if aid in was and rank[zone] < rank[was[aid]]
    ]
    assert ups
    up_page = _html(demo_manager_client, reverse("portfolio:review") + "?direction=up")
    assert f"{len(ups)} account" in up_page
    # Picking them the wrong way round is refused: the page says so and offers the forward comparison.
    backwards = _html(
        demo_manager_client, reverse("portfolio:review") + f"?before={demo.after.pk}&after={late_august.pk}", status=400
    )
    assert 'data-testid="review-backwards"' in backwards
    assert f"?before={late_august.pk}&amp;after={demo.after.pk}" in backwards


def test_review_refuses_a_backward_or_empty_comparison(demo: Demo, demo_manager_client: Client) -> None:
    url = reverse("portfolio:review")
    backwards = _html(demo_manager_client, url + f"?before={demo.after.pk}&after={demo.before.pk}", status=400)
    assert _testid(backwards, "review-backwards") == (
        f"“From” (snapshot #{demo.after.pk}, as of 2026-11-20) is not earlier than “To” (snapshot #{demo.before.pk},"
        " as of 2026-08-31): a review compares forward in time."
    )
    assert f'href="?before={demo.before.pk}&amp;after={demo.after.pk}"' in backwards
    # No backward flow: no matrix, no moves, no chart data; the picker keeps what was asked.
    for shown in ('data-testid="migration"', 'data-testid="moves"', 'id="flows-data"', 'data-testid="no-previous"'):
        assert shown not in backwards
    assert re.search(rf'name="before">.*?<option value="{demo.after.pk}" selected', backwards, flags=re.DOTALL)
    assert re.search(rf'name="after">.*?<option value="{demo.before.pk}" selected', backwards, flags=re.DOTALL)
    # The same snapshot twice compares nothing: said so, with the comparison to the one before it.
    same = _html(demo_manager_client, url + f"?before={demo.after.pk}&after={demo.after.pk}", status=400)
    assert _testid(same, "review-same-snapshot").startswith(
        f"“From” and “To” are the same snapshot (#{demo.after.pk}, as of 2026-11-20): pick an earlier one for “From”."
    )
    assert f'href="?after={demo.after.pk}"' in same
    assert 'data-testid="migration"' not in same
    first = _html(demo_manager_client, url + f"?before={demo.before.pk}&after={demo.before.pk}", status=400)
    assert 'data-testid="review-same-snapshot"' in first
    assert "Compare with the snapshot before it" not in first  # there is none
    # The same as-of date, computed later: not before either (the order the default and the API use).
    recomputed = snapshot_create(actor=None, as_of=AS_OF)
    assert 'data-testid="review-backwards"' in _html(
        demo_manager_client, url + f"?before={recomputed.pk}&after={demo.after.pk}", status=400
    )
    assert 'data-testid="migration"' in _html(demo_manager_client, url + f"?before={demo.after.pk}&after={recomputed.pk}")
    # In Japanese too.
    ja = demo_manager_client.get(url + f"?before={demo.after.pk}&after={demo.before.pk}", headers={"Accept-Language": "ja"})
    assert ja.status_code == 400
    assert _testid(ja.content.decode(), "review-backwards") == (
        f"「開始」（スナップショット #{demo.after.pk}、2026-11-20 時点）が「終了」（スナップショット #{demo.before.pk}、"
        "2026-08-31 時点）より前ではありません。レビューは時系列順に比較します。"
    )


def test_effort_vs_return_shows_hours_and_revenue_per_zone(demo: Demo, demo_rep_client: Client) -> None:
    html = _html(demo_rep_client, reverse("portfolio:effort") + "?start=2025-11-01&end=2026-11-20")
    # Expected: every activity in the window and every deal won in it, by the zone of its account now.
    zone = dict(SnapshotRow.objects.filter(snapshot=demo.after).values_list("account_id", "zone"))
    start, end = date(2025, 11, 1), date(2026, 11, 20)
    minutes: dict[str, int] = {}
    for account_id, spent, at in Activity.objects.values_list("account_id", "minutes", "occurred_at"):
        if start <= timezone.localtime(at).date() <= end:
            minutes[zone.get(account_id, "")] = minutes.get(zone.get(account_id, ""), 0) + spent
    revenue: dict[str, Decimal] = {}
    for account_id, amount in Deal.objects.filter(status="won", closed_on__gte=start, closed_on__lte=end).values_list(
        "account_id", "amount"
    ):
        revenue[zone.get(account_id, "")] = revenue.get(zone.get(account_id, ""), Decimal(0)) + (amount or 0)
    team = html.split('data-testid="effort-team"')[1].split("</table>")[0]
    rows = re.findall(
        r'<tr><td><span class="badge zone-(\w+)".*?<td class="num">([\d,]+) .*?<td class="num">(¥[\d,]+) ', team, re.DOTALL
    )
    shown = {z: (int(h.replace(",", "")), r) for z, h, r in rows}
    assert shown["A"] == (round(minutes["A"] / 60), f"¥{revenue['A']:,.0f}")
    assert shown["C"] == (round(minutes["C"] / 60), f"¥{revenue['C']:,.0f}")
    total = re.search(r'Total</th><td class="num">([\d,]+)</td><td class="num">(¥[\d,]+)</td>', team)
    assert total
    assert total.groups() == (f"{round(sum(minutes.values()) / 60):,}", f"¥{sum(revenue.values()):,.0f}")
    assert 'data-testid="effort-reps"' in html
    assert "/h</span>" in html  # revenue per hour per rep and zone
    assert (
        _html(demo_rep_client, reverse("portfolio:effort") + "?start=2026-11-20&end=2026-01-01").count("must start before") == 1
    )


def test_the_targets_page_shows_target_won_yomi_and_gap(demo: Demo, demo_rep_client: Client) -> None:
    html = _html(demo_rep_client, reverse("portfolio:targets") + "?period=FY2026")
    total = sum(
        Target.objects.filter(period_start__gte="2026-04-01", period_end__lte="2027-03-31").values_list("amount", flat=True)
    )
    assert _testid(html, "team-target") == f"¥{total:,.0f}"
    assert 'data-testid="targets-table"' in html
    assert "yomi-chart" in html


def _yen(text: str) -> float:
    return float(text.replace("¥", "").replace(",", ""))


def test_the_targets_page_shows_a_weighted_pipeline_and_a_yomi_that_rises_won_high_mid(
    demo: Demo, demo_rep_client: Client
) -> None:
    # The demo's open deals carry expected close dates, so this month's pipeline and ヨミ are not just "won".
    html = _html(demo_rep_client, reverse("portfolio:targets") + "?period=2026-11")
    assert _yen(_testid(html, "team-weighted-pipeline")) > 0
    won, high, mid = (_yen(_testid(html, t)) for t in ("team-yomi-won", "team-yomi-high", "team-yomi-mid"))
    assert 0 < won < high < mid
    assert _yen(_testid(html, "team-yomi")) == mid
    assert 'data-testid="undated-open-deals"' not in html


def _november(rep_ids: list[int] | None = None) -> dict[int, dict[str, Decimal]]:
    """Per rep with a November target: the target and what was won in November, summed from the rows (the oracle)."""
    month = {"period_start__gte": date(2026, 11, 1), "period_end__lte": date(2026, 11, 30)}
    out: dict[int, dict[str, Decimal]] = {}
    for rep_id, amount in Target.objects.filter(**month).values_list("rep_id", "amount"):
        out.setdefault(rep_id, {"target": Decimal(0), "won": Decimal(0)})["target"] += amount
    won = Deal.objects.filter(status="won", closed_on__gte=date(2026, 11, 1), closed_on__lte=date(2026, 11, 30))
    for rep_id, amount in won.values_list("owner_id", "amount"):
        if rep_id in out:
            out[rep_id]["won"] += amount or 0
    return {r: v for r, v in out.items() if rep_ids is None or r in rep_ids}


def test_the_targets_page_shows_the_teams_own_gap_and_a_surplus_when_ahead(demo: Demo, demo_rep_client: Client) -> None:
    # One rep far ahead of a tiny target: the team's gap is target − won, not the sum of the reps' shortfalls.
    won_most = max(_november().items(), key=lambda r: r[1]["won"])[0]
    Target.objects.filter(rep_id=won_most, period_start=date(2026, 11, 1)).update(amount=Decimal(1))
    reps = _november()
    target = sum(r["target"] for r in reps.values())
    won = sum(r["won"] for r in reps.values())
    gaps = [r["target"] - r["won"] for r in reps.values() if r["target"] > r["won"]]
    assert reps[won_most]["won"] > 1  # the rep ahead
    assert target > won  # the team is behind all the same
    html = _html(demo_rep_client, reverse("portfolio:targets") + "?period=2026-11")
    assert _testid(html, "team-target") == f"¥{target:,.0f}"
    assert _testid(html, "team-gap") == f"¥{target - won:,.0f}"
    assert _yen(_testid(html, "team-gap")) < sum(gaps)  # not the sum of the shortfalls
    n = len(gaps)
    assert f"Reps behind their own target{'s' if n > 1 else ''}: {n}, their shortfall ¥{sum(gaps):,.0f}" in html
    team_row = re.search(r'data-testid="team-row-gap">(.*?)</td>', html, flags=re.DOTALL)
    assert team_row
    assert f"¥{target - won:,.0f}" in team_row.group(1)
    assert f">+¥{reps[won_most]['won'] - 1:,.0f}</span>" in html  # the rep ahead shows +amount, not a ¥0 gap


def test_a_team_ahead_of_target_shows_a_surplus_not_a_gap(demo: Demo, demo_rep_client: Client) -> None:
    Target.objects.filter(period_start=date(2026, 11, 1)).update(amount=Decimal(1))
    reps = _november()
    surplus = sum(r["won"] for r in reps.values()) - len(reps)
    assert surplus > 0
    html = _html(demo_rep_client, reverse("portfolio:targets") + "?period=2026-11")
    assert _testid(html, "team-surplus") == f"+¥{surplus:,.0f}"
    assert 'data-testid="team-gap"' not in html


def _yomi(demo: Demo, rep_id: int) -> tuple[Decimal, Decimal]:
    """A rep's November ヨミ (won + open deals at ≥ 40 %) and weighted pipeline, from the deals (the oracle)."""
    stages = {str(k): float(v) for k, v in demo.after.criteria.stage_probabilities.items()}
    nov = {"gte": date(2026, 11, 1), "lte": date(2026, 11, 30)}
    won = sum(
        Deal.objects.filter(owner_id=rep_id, status="won", closed_on__gte=nov["gte"], closed_on__lte=nov["lte"]).values_list(
            "amount", flat=True
        )
    )
    yomi, weighted = Decimal(won), Decimal(0)
    for amount, probability, stage in Deal.objects.filter(
        owner_id=rep_id, status="open", expected_close_on__gte=nov["gte"], expected_close_on__lte=nov["lte"]
    ).values_list("amount", "probability", "stage"):
        p = probability if probability is not None else stages.get(stage, 0)
        weighted += Decimal(amount or 0) * Decimal(str(p)) / 100
        yomi += (amount or 0) if p >= 40 else 0
    return yomi, weighted


def test_the_home_gap_panels_show_the_yomi(demo: Demo, demo_rep_client: Client, demo_manager_client: Client) -> None:
    rep_home = _html(demo_rep_client, "/")
    yomi, weighted = _yomi(demo, demo.rep.pk)
    assert _testid(rep_home, "my-yomi") == f"¥{yomi:,.0f}"
    assert _yen(_testid(rep_home, "my-weighted-pipeline")) == pytest.approx(float(weighted), abs=1)
    manager_home = _html(demo_manager_client, "/")
    rows = re.findall(
        r'data-testid="home-gap-won">([^<]*)<.*?data-testid="home-gap-yomi">([^<]*)<', manager_home, flags=re.DOTALL
    )
    behind = [r for r in _november().values() if r["target"] > r["won"]]
    assert len(rows) == min(10, len(behind))
    assert all(_yen(yomi) >= _yen(won) for won, yomi in rows)
    assert any(_yen(yomi) > _yen(won) for won, yomi in rows)  # open deals count in this month's ヨミ
    assert f"{len(behind)} of {len(_november())} reps behind" in manager_home


def test_home_gives_a_rep_their_day_and_a_manager_the_team(
    demo: Demo, demo_rep_client: Client, demo_manager_client: Client
) -> None:
    mine = SnapshotRow.objects.filter(snapshot=demo.after, owner=demo.rep)
    since = NOW.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=29)  # 30 days up to today
    recent = set(Activity.objects.filter(occurred_at__gte=since).values_list("account_id", flat=True))
    idle = [a for a in mine.filter(zone="A").values_list("account_id", flat=True) if a not in recent]
    push = mine.filter(near_boundary=True).exclude(zone="A").count()
    rep_home = _html(demo_rep_client, "/")
    assert re.search(rf"{len(idle)} zone-A accounts? without activity for 30 days", rep_home)
    assert re.search(rf"{push} accounts? near a boundary, worth a push", rep_home)
    assert 'data-testid="home-gap"' in rep_home
    manager_home = _html(demo_manager_client, "/")
    matrix = manager_home.split('data-testid="home-matrix"')[1].split("</table>")[0]
    expected = oracles.matrix(demo.after)
    assert f'<span class="heat-n">{expected["cells"][("high", "high")]:,}</span>' in matrix
    was = dict(SnapshotRow.objects.filter(snapshot=demo.before).values_list("account_id", "zone"))
    rank = {"A": 0, "B": 1, "C": 2, "": 3}
    up = sum(
        1
        for a, z in SnapshotRow.objects.filter(snapshot=demo.after).values_list("account_id", "zone")
        if a in was and rank[z] < rank[was[a]]
    )
    assert re.search(rf"↑ {up} accounts? moved up", manager_home)


def test_without_a_snapshot_home_says_so_and_offers_the_manager_a_compute_button(demo: Demo) -> None:
    Snapshot.objects.all().delete()
    html = _html(demo_client("manager"), "/")
    assert 'data-testid="home-no-snapshot"' in html
    assert 'data-testid="compute-snapshot"' in html
    rep_html = _html(demo_client("rep"), "/")
    assert 'data-testid="home-no-snapshot"' in rep_html
    assert 'data-testid="compute-snapshot"' not in rep_html
    assert 'data-testid="no-snapshot"' in _html(demo_client("rep"), reverse("portfolio:team"))


def test_plotly_is_served_from_the_installed_wheel() -> None:
    path = finders.find("plotly/plotly.min.js")
    assert path is not None
    assert str(path).endswith("plotly/package_data/plotly.min.js")


def test_the_cartesian_bundle_is_the_wheels_plotly_js_version_with_its_licence() -> None:
    """The chart pages load the partial bundle vendored from npm: it must be the version the wheel ships."""
    full, cartesian = finders.find("plotly/plotly.min.js"), finders.find("plotly/plotly-cartesian.min.js")
    assert full is not None
    assert cartesian is not None
    head = re.compile(r"plotly\.js(?: \(cartesian - minified\))? (v\d+\.\d+\.\d+)")
    full_version = head.search(Path(full).read_text(encoding="utf-8")[:300])
    cartesian_text = Path(cartesian).read_text(encoding="utf-8")
    cartesian_version = head.search(cartesian_text[:300])
    assert full_version
    assert cartesian_version
    assert "(cartesian - minified)" in cartesian_text[:300]
    assert cartesian_version.group(1) == full_version.group(1), "update kokyaku/portfolio/static/plotly/ (docs/web.md#charts)"
    assert "MIT License" in (Path(cartesian).parent / "LICENSE-plotly.js.txt").read_text(encoding="utf-8")


# -- writes: who may do what ---------------------------------------------------------------------------


def test_the_owner_logs_an_activity_and_another_rep_is_refused(
    demo: Demo, demo_rep_client: Client, demo_rep2_client: Client
) -> None:
    url = reverse("portfolio:account_activity", args=[demo.rep_account.pk])
    data = {"kind": "visit", "occurred_at": "2026-11-21T09:30", "minutes": "45", "note": "新製品の説明"}
    before = Activity.objects.count()
    assert demo_rep2_client.post(url, data).status_code == 403
    assert Activity.objects.count() == before
    response = demo_rep_client.post(url, data)
    assert response.status_code == 302
    activity = Activity.objects.get(note="新製品の説明")
    assert (activity.rep_id, activity.account_id, activity.minutes) == (demo.rep.pk, demo.rep_account.pk, 45)


def test_a_manager_logs_an_activity_on_any_account(demo: Demo, demo_manager_client: Client) -> None:
    url = reverse("portfolio:account_activity", args=[demo.rep2_account.pk])
    response = demo_manager_client.post(url, {"kind": "call", "occurred_at": "2026-11-21T11:00", "minutes": "10"})
    assert response.status_code == 302
    assert Activity.objects.filter(account=demo.rep2_account, kind="call", minutes=10).exists()


def test_a_bad_activity_is_shown_back_with_the_error_and_nothing_saved(demo: Demo, demo_rep_client: Client) -> None:
    before = Activity.objects.count()
    response = demo_rep_client.post(
        reverse("portfolio:account_activity", args=[demo.rep_account.pk]), {"kind": "dance", "minutes": "-3"}
    )
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert Activity.objects.count() == before


def test_reps_cannot_open_or_change_criteria_compute_snapshots_or_set_targets(demo: Demo, demo_rep_client: Client) -> None:
    assert demo_rep_client.get(reverse("portfolio:criteria")).status_code == 403
    assert demo_rep_client.post(reverse("portfolio:criteria"), {"price_mode": "quantile"}).status_code == 403
    assert demo_rep_client.post(reverse("portfolio:criteria_preview"), {}).status_code == 403
    assert demo_rep_client.post(reverse("portfolio:snapshot_compute")).status_code == 403
    response = demo_rep_client.post(reverse("portfolio:target_set"), {"rep": demo.rep.pk, "period": "FY2026", "amount": "1"})
    assert response.status_code == 403
    assert Snapshot.objects.count() == 2
    assert Criteria.objects.count() == 1
    assert not Target.objects.filter(amount=1).exists()


def _criteria_post(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "price_mode": "quantile",
        "price_low": "33.33",  # percentiles, as the form shows the default terciles
        "price_high": "66.67",
        "probability_mode": "quantile",
        "probability_low": "33.33",
        "probability_high": "66.67",
        "near_margin_pct": "10",
        "lookback_months": "24",
        "stages": "A = 90\nB = 60\nProposal = 40",
        "note": "",
    }
    grid = {
        "high": {"high": "A", "mid": "A", "low": "B"},
        "mid": {"high": "A", "mid": "B", "low": "C"},
        "low": {"high": "B", "mid": "C", "low": "C"},
    }
    for p, row in grid.items():
        for q, zone in row.items():
            data[f"grid_{p}_{q}"] = zone
    data.update(changes)
    return data


def test_the_criteria_preview_counts_the_accounts_a_change_would_move(demo: Demo, demo_manager_client: Client) -> None:
    same = demo_manager_client.post(reverse("portfolio:criteria_preview"), _criteria_post())
    assert same.status_code == 200
    assert "0 of" in same.content.decode()
    stricter = demo_manager_client.post(
        reverse("portfolio:criteria_preview"), _criteria_post(grid_mid_high="B", grid_high_mid="B")
    )
    html = stricter.content.decode()
    moved = int(re.search(r"(\d+) of [\d,]+ accounts would change zone", html).group(1))  # type: ignore[union-attr]
    expected = (
        SnapshotRow.objects.filter(snapshot=demo.after, zone="A")
        .filter(price_band__in=["mid", "high"], probability_band__in=["high", "mid"])
        .exclude(price_band="high", probability_band="high")
        .count()
    )
    assert moved == expected
    bad = demo_manager_client.post(reverse("portfolio:criteria_preview"), _criteria_post(price_low="90", price_high="20"))
    assert "must be below" in bad.content.decode()


def _cut(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]*)<br><span class="muted small">([^<]*)<', html)
    assert match, testid
    return f"{match.group(1)} ({match.group(2)})"


def test_the_criteria_page_shows_percentiles_and_the_cut_offs_they_give(demo: Demo, demo_manager_client: Client) -> None:
    html = _html(demo_manager_client, reverse("portfolio:criteria"))
    # Terciles read as percentiles, not 0.333333 / 0.666667.
    assert re.search(r'name="price_low" value="33.33"', html)
    assert re.search(r'name="probability_high" value="66.67"', html)
    assert "0.333333" not in html
    assert "0.666667" not in html
    # Next to them, the cut-offs they give on the latest snapshot, in yen and in percent.
    cut = demo.after.thresholds
    price = re.sub(r"\s+", " ", re.search(r'data-testid="cutoffs-price">(.*?)</p>', html, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert f'low below <strong>¥{cut["price_low"]:,.0f}</strong> <span class="muted">(33rd percentile)</span>' in price
    assert f'high from <strong>¥{cut["price_high"]:,.0f}</strong> <span class="muted">(67th percentile)</span>' in price
    prob = re.search(r'data-testid="cutoffs-probability">(.*?)</p>', html, re.DOTALL).group(1)  # type: ignore[union-attr]
    assert f"<strong>{cut['probability_low'] * 100:.1f}%</strong>" in prob
    # The preview shows the cut-offs a change would give: the median as the high price cut.
    preview = demo_manager_client.post(reverse("portfolio:criteria_preview"), _criteria_post(price_high="50")).content.decode()
    prices = sorted(
        float(p)
        for p in SnapshotRow.objects.filter(snapshot=demo.after, unit_price__isnull=False).values_list("unit_price", flat=True)
    )
    median = (prices[(len(prices) - 1) // 2] + prices[len(prices) // 2]) / 2
    assert _cut(preview, "preview-cut-price-high") == f"¥{median:,.0f} (50th percentile)"
    assert _cut(preview, "preview-cut-price-low") == f"¥{cut['price_low']:,.0f} (33rd percentile)"
    # Absolute thresholds: yen for the unit price, percent for the probability.
    fixed = demo_manager_client.post(
        reverse("portfolio:criteria_preview"),
        _criteria_post(
            price_mode="absolute",
            price_low="1000000",
            price_high="5000000",
            probability_mode="absolute",
            probability_low="30",
            probability_high="70",
        ),
    ).content.decode()
    assert _cut(fixed, "preview-cut-price-high") == "¥5,000,000 (fixed)"
    assert _cut(fixed, "preview-cut-probability-low") == "30.0% (fixed)"


def test_saving_the_terciles_as_shown_keeps_them_exact(demo: Demo, demo_manager_client: Client) -> None:
    assert demo_manager_client.post(reverse("portfolio:criteria"), _criteria_post(note="same cuts")).status_code == 302
    saved = Criteria.objects.order_by("-id").first()
    assert saved is not None
    assert (saved.price_low, saved.price_high) == (1 / 3, 2 / 3)
    assert (saved.probability_low, saved.probability_high) == (1 / 3, 2 / 3)
    assert (
        demo_manager_client.post(
            reverse("portfolio:criteria"),
            _criteria_post(probability_mode="absolute", probability_low="40", probability_high="75"),
        ).status_code
        == 302
    )
    fixed = Criteria.objects.order_by("-id").first()
    assert fixed is not None
    assert (fixed.probability_low, fixed.probability_high) == (0.4, 0.75)


def test_a_manager_saves_a_new_criteria_version_and_computes_a_snapshot(demo: Demo, demo_manager_client: Client) -> None:
    response = demo_manager_client.post(reverse("portfolio:criteria"), _criteria_post(near_margin_pct="5", note="tighter margin"))
    assert response.status_code == 302
    latest = Criteria.objects.order_by("-id").first()
    assert latest is not None
    assert latest.near_margin == pytest.approx(0.05)
    assert latest.note == "tighter margin"
    assert latest.stage_probabilities == {"A": 90.0, "B": 60.0, "Proposal": 40.0}
    assert "tighter margin" in _html(demo_manager_client, reverse("portfolio:criteria"))
    response = demo_manager_client.post(reverse("portfolio:snapshot_compute"), {"next": "/portfolio/review/"})
    assert response.status_code == 302
    assert response["Location"] == "/portfolio/review/"
    newest = Snapshot.objects.order_by("-id").first()
    assert newest is not None
    assert newest.criteria_id == latest.pk
    assert newest.account_count == 120


def test_a_manager_sets_targets_and_a_quarter_replaces_its_months(demo: Demo, demo_manager_client: Client) -> None:
    url = reverse("portfolio:target_set")
    response = demo_manager_client.post(url, {"rep": demo.rep.pk, "period": "FY2026-Q1", "amount": "30000000"})
    assert response.status_code == 302
    q1 = Target.objects.filter(rep=demo.rep, period_start__gte="2026-04-01", period_end__lte="2026-06-30")
    assert list(q1.values_list("period_start", "period_end", "amount")) == [
        (NOW.date().replace(month=4, day=1), NOW.date().replace(month=6, day=30), Decimal("30000000.00"))
    ]
    refused = demo_manager_client.post(url, {"rep": demo.rep.pk, "period": "2026-05", "amount": "1"}, follow=True)
    assert "overlaps" in refused.content.decode()
    demo_manager_client.post(url, {"rep": demo.rep.pk, "period": "FY2026-Q1", "amount": ""})
    assert not q1.exists()


# -- bounded queries --------------------------------------------------------------------------------


# My portfolio (14 -> 15 when the rep's own heatmap and scatter, issue 11 item 2, and the accounts
# added since the snapshot, item 7, met on one page): still fixed, whatever the number of accounts.
# Effort 14 -> 16 (issue 18): the team's and the page's reps' stored sums, whether anything has no
# rep, and the reps' count and page, instead of every rep's sums (test_page_plans.py checks that
# the count does not grow with the reps). Effort 16 -> 17: the conversion rates, read once for the
# live days' won revenue (converted to the company currency as Home and the targets count it).
@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("portfolio:team", 16), ("portfolio:mine", 15), ("portfolio:accounts", 14),
        ("portfolio:review", 16), ("portfolio:effort", 17), ("portfolio:targets", 16),
    ],
)  # fmt: skip
def test_each_page_runs_a_fixed_number_of_queries(
    demo: Demo, demo_manager_client: Client, django_assert_max_num_queries: Any, name: str, limit: int
) -> None:
    with django_assert_max_num_queries(limit):
        assert demo_manager_client.get(reverse(name)).status_code == 200


def test_the_account_page_and_home_run_a_fixed_number_of_queries(
    demo: Demo, demo_manager_client: Client, demo_rep_client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(16):
        assert demo_rep_client.get(reverse("portfolio:account", args=[demo.rep_account.pk])).status_code == 200
    # The follow-up panels (kokyaku/followups/views/home.py) add to the home page's fixed count: a rep's
    # follow-ups due (2) and stale deals (1): +3 (was 34); a manager's queue per rep (1), and the same
    # three when the manager's login is linked to a rep: +4 (was 42).
    with django_assert_max_num_queries(46):
        assert demo_manager_client.get("/").status_code == 200
    with django_assert_max_num_queries(37):
        assert demo_rep_client.get("/").status_code == 200


def test_the_one_pass_team_selectors_agree_with_the_plain_count(demo: Demo) -> None:
    """The team page's selectors (one pass, cell codes, every k-th id) against tests/portfolio/oracles.py."""
    for snapshot in (demo.before, demo.after):
        for owner_id in (None, demo.rep.pk):
            matrix, expected = team_matrix(snapshot, owner_id=owner_id), oracles.matrix(snapshot, owner_id=owner_id)
            assert {(c.price_band, c.probability_band): c.accounts for row in matrix.cells for c in row} == {
                cell: expected["cells"][cell] for cell in ((p, q) for p in ("high", "mid", "low") for q in ("high", "mid", "low"))
            }
            assert matrix.zone_accounts == {z: expected["zones"][z] for z in ("A", "B", "C")}
            assert matrix.zone_expected_value == pytest.approx({z: expected["zone_ev"][z] for z in ("A", "B", "C")})
            assert (matrix.unzoned, matrix.total) == (expected["unzoned"], expected["total"])
        breakdown = rep_breakdown_page(snapshot, page=1, per_page=500)
        plain = oracles.breakdown(snapshot)
        assert {r.owner_id: (r.accounts, r.zones, r.unzoned, r.near_boundary, r.dormant) for r in breakdown.rows} == {
            o: (v["accounts"], v["zones"], v["unzoned"], v["near"], v["dormant"]) for o, v in plain.items()
        }
        assert breakdown.total == len([o for o in plain if o is not None])
        ids, sampled = oracles.scatter_ids(snapshot, max_points=25)
        scatter = scatter_points(snapshot, zoned=team_matrix(snapshot).zoned, max_points=25)
        assert (sorted(p.account_id for p in scatter.points), scatter.sampled) == (sorted(ids), sampled)
        cell = portfolio_table(snapshot, price_band="mid", probability_band="mid", per_page=500)
        assert sorted(r.account_id for r in cell.rows) == sorted(
            r["account_id"] for r in oracles.rows(snapshot) if (r["price_band"], r["probability_band"]) == ("mid", "mid")
        )


def test_an_account_added_after_the_snapshot_is_findable_in_accounts_at_once(
    demo: Demo, demo_manager_client: Client, django_assert_max_num_queries: Any
) -> None:
    """An import creates accounts; Accounts lists them before the next snapshot places them (issue 11 item 7)."""
    added = Account.objects.create(external_id="NEW-1", name="株式会社新規商事", owner=demo.rep)
    Account.objects.create(external_id="NEW-2", name="北陸精機")
    html = _html(demo_manager_client, reverse("portfolio:accounts"))
    assert "2 accounts added since this snapshot" in html
    assert f'href="{reverse("portfolio:account", args=[added.pk])}">株式会社新規商事</a>' in html
    searched = _html(demo_manager_client, reverse("portfolio:accounts") + "?q=新規")
    assert "1 account added since this snapshot" in searched
    assert "北陸精機" not in searched
    mine = _html(demo_manager_client, reverse("portfolio:accounts") + f"?owner={demo.rep.pk}")
    assert "株式会社新規商事" in mine
    assert "北陸精機" not in mine
    with django_assert_max_num_queries(2):
        found = accounts_added_since(demo.after)
    assert found.count == 2
    assert [a.name for a in found.first] == ["北陸精機", "株式会社新規商事"]


def test_effort_vs_return_in_a_period_without_activity_shows_no_empty_chart(demo: Demo, demo_rep_client: Client) -> None:
    """A period with no activity and no won deal drew bare axes (0-4 %, 0-6) beside "no activities":
    an empty chart reads as a broken one. The page says there is nothing to chart instead."""
    html = _html(demo_rep_client, reverse("portfolio:effort") + "?start=2001-01-01&end=2001-12-31")
    assert 'data-testid="effort-chart"' not in html
    assert "KokyakuCharts.effort(" not in html
    assert "nothing to chart" in _testid(html, "effort-chart-empty")
