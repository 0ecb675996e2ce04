"""Portfolio pages on a small seeded demo: real numbers on every page, every write permission-checked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from kokyaku.crm.models import Activity, Target
from kokyaku.portfolio.models import Criteria, Snapshot, SnapshotRow
from kokyaku.portfolio.selectors import rep_breakdown, targets_view, team_matrix, zone_migration
from kokyaku.portfolio.services import snapshot_create
from tests.portfolio.pages_demo import AS_OF, BEFORE, NOW, Demo, demo_client, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def demo() -> Demo:
    return load_demo()


@pytest.fixture
def manager() -> Client:
    return demo_client("manager")


@pytest.fixture
def rep() -> Client:
    return demo_client("rep")


@pytest.fixture
def rep2() -> Client:
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


def test_the_team_page_shows_the_zone_counts_matrix_scatter_and_rep_breakdown(demo: Demo, manager: Client) -> None:
    html = _html(manager, reverse("portfolio:team"))
    matrix = team_matrix(demo.after)
    for zone in ("A", "B", "C"):
        assert _testid(html, f"zone-{zone}-accounts") == f"{matrix.zone_accounts[zone]:,}"
    high_high = matrix.cells[0][0]
    assert _testid(html, "matrix-cell-high-high").startswith("")  # the cell is a link
    assert "price_band=high&amp;probability_band=high" in html
    assert f'<span class="heat-n">{high_high.accounts:,}</span>' in html
    assert 'id="scatter-data"' in html
    assert '"zones"' in html
    assert "/static/plotly/plotly.min.js" in html
    for row in rep_breakdown(demo.after)[:3]:
        assert str(row["owner"]) in html


def test_a_matrix_cell_links_to_exactly_its_accounts(demo: Demo, manager: Client) -> None:
    cell = team_matrix(demo.after).cells[0][0]
    url = reverse("portfolio:accounts") + f"?snapshot={demo.after.pk}&price_band=high&probability_band=high"
    html = _html(manager, url)
    assert f"{cell.accounts} accounts" in html
    names = set(
        SnapshotRow.objects.filter(snapshot=demo.after, price_band="high", probability_band="high").values_list(
            "account__name", flat=True
        )[:5]
    )
    assert all(name in html for name in names)


def test_my_portfolio_lists_only_my_accounts_filtered_and_sorted(demo: Demo, rep: Client) -> None:
    html = _html(rep, reverse("portfolio:mine") + "?sort=name")
    mine = SnapshotRow.objects.filter(snapshot=demo.after, owner=demo.rep)
    assert f"{mine.count()} accounts" in html
    others = SnapshotRow.objects.filter(snapshot=demo.after).exclude(owner=demo.rep).values_list("account__name", flat=True)
    first_mine = mine.order_by("account__name").values_list("account__name", flat=True).first()
    assert first_mine is not None
    assert first_mine in html
    assert not any(f">{name}</a>" in html for name in others if not mine.filter(account__name=name).exists())
    zone_a = mine.filter(zone="A").count()
    assert f"{zone_a} account" in _html(rep, reverse("portfolio:mine") + "?zone=A")
    near = mine.filter(near_boundary=True).count()
    assert f"{near} account" in _html(rep, reverse("portfolio:mine") + "?near=1")


def test_an_htmx_request_gets_only_the_table(demo: Demo, rep: Client) -> None:
    response = rep.get(reverse("portfolio:mine") + "?zone=B", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="portfolio-table"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_the_account_page_shows_zone_deals_activities_and_zone_history(demo: Demo, rep2: Client) -> None:
    account = demo.rep_account
    html = _html(rep2, reverse("portfolio:account", args=[account.pk]))
    assert account.name in html
    history = html.split('data-testid="zone-history"')[1].split('data-testid="account-deals"')[0]
    assert history.count('<td class="nowrap">2026-') == 2  # one row per snapshot
    assert "2026-08-31" in history
    assert "2026-11-20" in history
    deal = account.deals.order_by("-opened_on").first()
    if deal is not None:
        assert (deal.name or deal.external_id) in html
    assert 'data-testid="activity-form"' not in html  # rep2 does not own it


def test_the_review_page_lists_moves_and_the_migration_matrix_with_its_cells(demo: Demo, manager: Client) -> None:
    migration = zone_migration(demo.before, demo.after)
    html = _html(manager, reverse("portfolio:review"))
    was = dict(SnapshotRow.objects.filter(snapshot=demo.before).values_list("account_id", "zone"))
    now = dict(SnapshotRow.objects.filter(snapshot=demo.after).values_list("account_id", "zone"))
    moved = sum(1 for account_id, zone in now.items() if account_id in was and was[account_id] != zone)
    assert moved > 0
    assert f"{moved} account" in html
    assert 'id="flows-data"' in html
    b_to_a = migration.counts["B"]["A"]
    if b_to_a:
        cell = _html(manager, reverse("portfolio:review") + f"?before={demo.before.pk}&after={demo.after.pk}&from=B&to=A")
        assert f"B → A: {b_to_a} accounts" in cell


def test_a_past_snapshot_computed_last_does_not_become_the_current_one(demo: Demo, manager: Client) -> None:
    # `kokyaku snapshot --as-of 2026-08-31` after the current snapshot: pages keep showing 2026-11-20.
    late_august = snapshot_create(actor=None, as_of=BEFORE)
    as_of = demo.after.as_of.isoformat()
    assert f"Snapshot {demo.after.pk} as of {as_of}" in _html(manager, reverse("portfolio:team"))
    assert f"From snapshot {demo.after.pk} as of {as_of}" in _html(manager, reverse("portfolio:accounts"))
    assert f"snapshot of {as_of}" in _html(manager, "/")
    criteria = _html(manager, reverse("portfolio:criteria"))
    assert f"snapshot {demo.after.pk} as of {as_of}" in criteria
    # The picker lists snapshots by as-of date, latest first.
    picker = re.findall(r'<option value="(\d+)"[^>]*>#\d+ · ([\d-]+)</option>', _html(manager, reverse("portfolio:team")))
    assert [d for _id, d in picker] == sorted((d for _id, d in picker), reverse=True)
    assert int(picker[0][0]) == demo.after.pk
    # Review compares forward in time by default: the August snapshot (the newest of that date) → November.
    review = _html(manager, reverse("portfolio:review"))
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
    up_page = _html(manager, reverse("portfolio:review") + "?direction=up")
    assert f"{len(ups)} account" in up_page
    # Picking them the wrong way round is refused: the page says so and offers the forward comparison.
    backwards = _html(manager, reverse("portfolio:review") + f"?before={demo.after.pk}&after={late_august.pk}", status=400)
    assert 'data-testid="review-backwards"' in backwards
    assert f"?before={late_august.pk}&amp;after={demo.after.pk}" in backwards


def test_review_refuses_a_backward_or_empty_comparison(demo: Demo, manager: Client) -> None:
    url = reverse("portfolio:review")
    backwards = _html(manager, url + f"?before={demo.after.pk}&after={demo.before.pk}", status=400)
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
    same = _html(manager, url + f"?before={demo.after.pk}&after={demo.after.pk}", status=400)
    assert _testid(same, "review-same-snapshot").startswith(
        f"“From” and “To” are the same snapshot (#{demo.after.pk}, as of 2026-11-20): pick an earlier one for “From”."
    )
    assert f'href="?after={demo.after.pk}"' in same
    assert 'data-testid="migration"' not in same
    first = _html(manager, url + f"?before={demo.before.pk}&after={demo.before.pk}", status=400)
    assert 'data-testid="review-same-snapshot"' in first
    assert "Compare with the snapshot before it" not in first  # there is none
    # The same as-of date, computed later: not before either (the order the default and the API use).
    recomputed = snapshot_create(actor=None, as_of=AS_OF)
    assert 'data-testid="review-backwards"' in _html(manager, url + f"?before={recomputed.pk}&after={demo.after.pk}", status=400)
    assert 'data-testid="migration"' in _html(manager, url + f"?before={demo.after.pk}&after={recomputed.pk}")
    # In Japanese too.
    ja = manager.get(url + f"?before={demo.after.pk}&after={demo.before.pk}", headers={"Accept-Language": "ja"})
    assert ja.status_code == 400
    assert _testid(ja.content.decode(), "review-backwards") == (
        f"「開始」（スナップショット #{demo.after.pk}、2026-11-20 時点）が「終了」（スナップショット #{demo.before.pk}、"
        "2026-08-31 時点）より前ではありません。レビューは時系列順に比較します。"
    )


def test_effort_vs_return_shows_hours_and_revenue_per_zone(demo: Demo, rep: Client) -> None:
    html = _html(rep, reverse("portfolio:effort") + "?start=2025-11-01&end=2026-11-20")
    assert 'data-testid="effort-team"' in html
    assert 'data-testid="effort-reps"' in html
    assert "/h</span>" in html  # revenue per hour per rep and zone
    assert _html(rep, reverse("portfolio:effort") + "?start=2026-11-20&end=2026-01-01").count("must start before") == 1


def test_the_targets_page_shows_target_won_yomi_and_gap(demo: Demo, rep: Client) -> None:
    html = _html(rep, reverse("portfolio:targets") + "?period=FY2026")
    total = sum(
        Target.objects.filter(period_start__gte="2026-04-01", period_end__lte="2027-03-31").values_list("amount", flat=True)
    )
    assert _testid(html, "team-target") == f"¥{total:,.0f}"
    assert 'data-testid="targets-table"' in html
    assert "yomi-chart" in html


def _yen(text: str) -> float:
    return float(text.replace("¥", "").replace(",", ""))


def test_the_targets_page_shows_a_weighted_pipeline_and_a_yomi_that_rises_won_high_mid(demo: Demo, rep: Client) -> None:
    # The demo's open deals carry expected close dates, so this month's pipeline and ヨミ are not just "won".
    html = _html(rep, reverse("portfolio:targets") + "?period=2026-11")
    assert _yen(_testid(html, "team-weighted-pipeline")) > 0
    won, high, mid = (_yen(_testid(html, t)) for t in ("team-yomi-won", "team-yomi-high", "team-yomi-mid"))
    assert 0 < won < high < mid
    assert _yen(_testid(html, "team-yomi")) == mid
    assert 'data-testid="undated-open-deals"' not in html


def test_the_targets_page_shows_the_teams_own_gap_and_a_surplus_when_ahead(demo: Demo, rep: Client) -> None:
    # One rep far ahead of a tiny target: the team's gap is target − won, not the sum of the reps' shortfalls.
    Target.objects.filter(rep=demo.rep, period_start=date(2026, 11, 1)).update(amount=Decimal(1))
    view = targets_view(start=date(2026, 11, 1), end=date(2026, 11, 30))
    reps, team = view["reps"], view["team"]
    assert (reps["surplus"] > 0).any()
    assert (reps["gap"] > 0).any()
    html = _html(rep, reverse("portfolio:targets") + "?period=2026-11")
    target, won, yomi = team["target"], team["won"], team["yomi_mid"]
    shortfall = float(reps["gap"].sum())
    if target > won:
        assert _yen(_testid(html, "team-gap")) == round(target - won)
        assert _yen(_testid(html, "team-gap")) < round(shortfall)
    else:
        assert _yen(_testid(html, "team-surplus").lstrip("+")) == round(won - target)
    after = _testid(html, "team-after-yomi") if target > won else ""
    if target > won and yomi >= target:
        assert after == f"the ヨミ covers it, ¥{yomi - target:,.0f} to spare"
    elif target > won:
        assert after == f"after the ヨミ: ¥{target - yomi:,.0f}"
    behind = int((reps["gap"] > 0).sum())
    assert f"Reps behind their own target{'s' if behind > 1 else ''}: {behind}, their shortfall ¥{shortfall:,.0f}" in html
    team_row = re.search(r'data-testid="team-row-gap">(.*?)</td>', html)
    assert team_row
    assert "¥" in team_row.group(1)
    assert 'class="surplus"' in html  # the rep ahead shows +amount, not a ¥0 gap


def test_a_team_ahead_of_target_shows_a_surplus_not_a_gap(demo: Demo, rep: Client) -> None:
    Target.objects.filter(period_start=date(2026, 11, 1)).update(amount=Decimal(1))
    html = _html(rep, reverse("portfolio:targets") + "?period=2026-11")
    team = targets_view(start=date(2026, 11, 1), end=date(2026, 11, 30))["team"]
    assert _testid(html, "team-surplus") == f"+¥{team['won'] - team['target']:,.0f}"
    assert 'data-testid="team-gap"' not in html


def test_the_home_gap_panels_show_the_yomi(demo: Demo, rep: Client, manager: Client) -> None:
    rep_home = _html(rep, "/")
    mine = targets_view(start=date(2026, 11, 1), end=date(2026, 11, 30), rep_ids=[demo.rep.pk])["reps"].iloc[0]
    assert _yen(_testid(rep_home, "my-yomi")) == round(mine["yomi_mid"])
    assert _yen(_testid(rep_home, "my-weighted-pipeline")) == round(mine["weighted_pipeline"])
    manager_home = _html(manager, "/")
    rows = re.findall(
        r'data-testid="home-gap-won">([^<]*)<.*?data-testid="home-gap-yomi">([^<]*)<', manager_home, flags=re.DOTALL
    )
    assert rows
    assert all(_yen(yomi) >= _yen(won) for won, yomi in rows)
    assert any(_yen(yomi) > _yen(won) for won, yomi in rows)  # open deals count in this month's ヨミ


def test_home_gives_a_rep_their_day_and_a_manager_the_team(demo: Demo, rep: Client, manager: Client) -> None:
    rep_home = _html(rep, "/")
    assert 'data-testid="home-idle-a"' in rep_home
    assert 'data-testid="home-push"' in rep_home
    assert 'data-testid="home-gap"' in rep_home
    manager_home = _html(manager, "/")
    assert 'data-testid="home-matrix"' in manager_home
    assert 'data-testid="home-gaps"' in manager_home
    assert 'data-testid="home-moves"' in manager_home


def test_without_a_snapshot_home_says_so_and_offers_the_manager_a_compute_button() -> None:
    load_demo_without_snapshots()
    html = _html(demo_client("manager"), "/")
    assert 'data-testid="home-no-snapshot"' in html
    assert 'data-testid="compute-snapshot"' in html
    rep_html = _html(demo_client("rep"), "/")
    assert 'data-testid="home-no-snapshot"' in rep_html
    assert 'data-testid="compute-snapshot"' not in rep_html
    assert 'data-testid="no-snapshot"' in _html(demo_client("rep"), reverse("portfolio:team"))


def load_demo_without_snapshots() -> None:
    from kokyaku.demo.services import demo_load
    from tests.portfolio.pages_demo import AS_OF

    demo_load(accounts=60, seed=3, as_of=AS_OF)


def test_plotly_is_served_from_the_installed_wheel() -> None:
    path = finders.find("plotly/plotly.min.js")
    assert path is not None
    assert str(path).endswith("plotly/package_data/plotly.min.js")


# -- writes: who may do what ---------------------------------------------------------------------------


def test_the_owner_logs_an_activity_and_another_rep_is_refused(demo: Demo, rep: Client, rep2: Client) -> None:
    url = reverse("portfolio:account_activity", args=[demo.rep_account.pk])
    data = {"kind": "visit", "occurred_at": "2026-11-21T09:30", "minutes": "45", "note": "新製品の説明"}
    before = Activity.objects.count()
    assert rep2.post(url, data).status_code == 403
    assert Activity.objects.count() == before
    response = rep.post(url, data)
    assert response.status_code == 302
    activity = Activity.objects.get(note="新製品の説明")
    assert (activity.rep_id, activity.account_id, activity.minutes) == (demo.rep.pk, demo.rep_account.pk, 45)


def test_a_manager_logs_an_activity_on_any_account(demo: Demo, manager: Client) -> None:
    url = reverse("portfolio:account_activity", args=[demo.rep2_account.pk])
    response = manager.post(url, {"kind": "call", "occurred_at": "2026-11-21T11:00", "minutes": "10"})
    assert response.status_code == 302
    assert Activity.objects.filter(account=demo.rep2_account, kind="call", minutes=10).exists()


def test_a_bad_activity_is_shown_back_with_the_error_and_nothing_saved(demo: Demo, rep: Client) -> None:
    before = Activity.objects.count()
    response = rep.post(reverse("portfolio:account_activity", args=[demo.rep_account.pk]), {"kind": "dance", "minutes": "-3"})
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert Activity.objects.count() == before


def test_reps_cannot_open_or_change_criteria_compute_snapshots_or_set_targets(demo: Demo, rep: Client) -> None:
    assert rep.get(reverse("portfolio:criteria")).status_code == 403
    assert rep.post(reverse("portfolio:criteria"), {"price_mode": "quantile"}).status_code == 403
    assert rep.post(reverse("portfolio:criteria_preview"), {}).status_code == 403
    assert rep.post(reverse("portfolio:snapshot_compute")).status_code == 403
    response = rep.post(reverse("portfolio:target_set"), {"rep": demo.rep.pk, "period": "FY2026", "amount": "1"})
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


def test_the_criteria_preview_counts_the_accounts_a_change_would_move(demo: Demo, manager: Client) -> None:
    same = manager.post(reverse("portfolio:criteria_preview"), _criteria_post())
    assert same.status_code == 200
    assert "0 of" in same.content.decode()
    stricter = manager.post(reverse("portfolio:criteria_preview"), _criteria_post(grid_mid_high="B", grid_high_mid="B"))
    html = stricter.content.decode()
    moved = int(re.search(r"(\d+) of [\d,]+ accounts would change zone", html).group(1))  # type: ignore[union-attr]
    expected = (
        SnapshotRow.objects.filter(snapshot=demo.after, zone="A")
        .filter(price_band__in=["mid", "high"], probability_band__in=["high", "mid"])
        .exclude(price_band="high", probability_band="high")
        .count()
    )
    assert moved == expected
    bad = manager.post(reverse("portfolio:criteria_preview"), _criteria_post(price_low="90", price_high="20"))
    assert "must be below" in bad.content.decode()


def _cut(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]*)<br><span class="muted small">([^<]*)<', html)
    assert match, testid
    return f"{match.group(1)} ({match.group(2)})"


def test_the_criteria_page_shows_percentiles_and_the_cut_offs_they_give(demo: Demo, manager: Client) -> None:
    html = _html(manager, reverse("portfolio:criteria"))
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
    preview = manager.post(reverse("portfolio:criteria_preview"), _criteria_post(price_high="50")).content.decode()
    prices = sorted(
        float(p)
        for p in SnapshotRow.objects.filter(snapshot=demo.after, unit_price__isnull=False).values_list("unit_price", flat=True)
    )
    median = (prices[(len(prices) - 1) // 2] + prices[len(prices) // 2]) / 2
    assert _cut(preview, "preview-cut-price-high") == f"¥{median:,.0f} (50th percentile)"
    assert _cut(preview, "preview-cut-price-low") == f"¥{cut['price_low']:,.0f} (33rd percentile)"
    # Absolute thresholds: yen for the unit price, percent for the probability.
    fixed = manager.post(
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


def test_saving_the_terciles_as_shown_keeps_them_exact(demo: Demo, manager: Client) -> None:
    assert manager.post(reverse("portfolio:criteria"), _criteria_post(note="same cuts")).status_code == 302
    saved = Criteria.objects.order_by("-id").first()
    assert saved is not None
    assert (saved.price_low, saved.price_high) == (1 / 3, 2 / 3)
    assert (saved.probability_low, saved.probability_high) == (1 / 3, 2 / 3)
    assert (
        manager.post(
            reverse("portfolio:criteria"),
            _criteria_post(probability_mode="absolute", probability_low="40", probability_high="75"),
        ).status_code
        == 302
    )
    fixed = Criteria.objects.order_by("-id").first()
    assert fixed is not None
    assert (fixed.probability_low, fixed.probability_high) == (0.4, 0.75)


def test_a_manager_saves_a_new_criteria_version_and_computes_a_snapshot(demo: Demo, manager: Client) -> None:
    response = manager.post(reverse("portfolio:criteria"), _criteria_post(near_margin_pct="5", note="tighter margin"))
    assert response.status_code == 302
    latest = Criteria.objects.order_by("-id").first()
    assert latest is not None
    assert latest.near_margin == pytest.approx(0.05)
    assert latest.note == "tighter margin"
    assert latest.stage_probabilities == {"A": 90.0, "B": 60.0, "Proposal": 40.0}
    assert "tighter margin" in _html(manager, reverse("portfolio:criteria"))
    response = manager.post(reverse("portfolio:snapshot_compute"), {"next": "/portfolio/review/"})
    assert response.status_code == 302
    assert response["Location"] == "/portfolio/review/"
    newest = Snapshot.objects.order_by("-id").first()
    assert newest is not None
    assert newest.criteria_id == latest.pk
    assert newest.account_count == 120


def test_a_manager_sets_targets_and_a_quarter_replaces_its_months(demo: Demo, manager: Client) -> None:
    url = reverse("portfolio:target_set")
    response = manager.post(url, {"rep": demo.rep.pk, "period": "FY2026-Q1", "amount": "30000000"})
    assert response.status_code == 302
    q1 = Target.objects.filter(rep=demo.rep, period_start__gte="2026-04-01", period_end__lte="2026-06-30")
    assert list(q1.values_list("period_start", "period_end", "amount")) == [
        (NOW.date().replace(month=4, day=1), NOW.date().replace(month=6, day=30), Decimal("30000000.00"))
    ]
    refused = manager.post(url, {"rep": demo.rep.pk, "period": "2026-05", "amount": "1"}, follow=True)
    assert "overlaps" in refused.content.decode()
    manager.post(url, {"rep": demo.rep.pk, "period": "FY2026-Q1", "amount": ""})
    assert not q1.exists()


# -- bounded queries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("portfolio:team", 16), ("portfolio:mine", 14), ("portfolio:accounts", 14),
        ("portfolio:review", 16), ("portfolio:effort", 14), ("portfolio:targets", 16),
    ],
)  # fmt: skip
def test_each_page_runs_a_fixed_number_of_queries(
    demo: Demo, manager: Client, django_assert_max_num_queries: Any, name: str, limit: int
) -> None:
    with django_assert_max_num_queries(limit):
        assert manager.get(reverse(name)).status_code == 200


def test_the_account_page_and_home_run_a_fixed_number_of_queries(
    demo: Demo, manager: Client, rep: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(16):
        assert rep.get(reverse("portfolio:account", args=[demo.rep_account.pk])).status_code == 200
    with django_assert_max_num_queries(42):
        assert manager.get("/").status_code == 200
    with django_assert_max_num_queries(34):
        assert rep.get("/").status_code == 200


def test_the_one_pass_team_selectors_agree_with_the_reference_ones(demo: Demo) -> None:
    from kokyaku.portfolio.selectors import portfolio_table, rep_breakdown_page, scatter_points, scatter_sample, team_matrix_scan

    for snapshot in (demo.before, demo.after):
        fast, slow = team_matrix_scan(snapshot), team_matrix(snapshot)
        assert fast == slow
        rows, paging = rep_breakdown_page(snapshot, page=1, per_page=500)
        assert rows == rep_breakdown(snapshot)
        assert paging.total == len([r for r in rows if r["owner_id"] is not None])
        zoned = fast.total - fast.unzoned
        assert scatter_sample(snapshot, zoned=zoned, max_points=25)["points"] == scatter_points(snapshot, max_points=25)["points"]
        cell = portfolio_table(snapshot, price_band="mid", probability_band="mid", per_page=500)
        assert (
            cell.total
            == fast.cells[1][1].accounts
            + SnapshotRow.objects.filter(snapshot=snapshot, price_band="mid", probability_band="mid")
            .exclude(zone=fast.cells[1][1].zone)
            .count()
        )
