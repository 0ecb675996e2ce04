"""Issue 18: the manager's pages stay fast at a million accounts.

No query behind these pages may run a subquery per row: on PostgreSQL each query a page runs is
EXPLAINed and its plan must hold no ``SubPlan`` (a correlated subquery executed once per row: the
review page's previous-zone lookup ran 100,000 times at 100,000 accounts). The query counts of the
pages are pinned in test_views.py. A snapshot stores the id range of its rows, so reading them in
one pass needs no MIN/MAX(id) over every snapshot kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors import snapshot_scan
from tests.portfolio.pages_demo import NOW, Demo, demo_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def demo_manager_client(demo: Demo) -> Client:
    return demo_client("manager")


PAGES = [
    "/",
    "/portfolio/",
    "/portfolio/accounts/",
    "/portfolio/review/",
    "/portfolio/effort/",
    "/portfolio/targets/",
    "/portfolio/criteria/",
    "/portfolio/effort/?start=2025-11-15&end=2026-11-21&reps_page=2",  # a live head, stored months, a live tail
    "/api/portfolio/effort?start=2026-08-01&end=2026-11-20&per_rep=true",
    "/api/portfolio/effort?start=2025-11-01&end=2026-11-21",
    "/api/portfolio/migration",
]

ONE_REP = '"portfolio_snapshotrow"."owner_id" = '


def _plans(sqls: list[str]) -> list[tuple[str, str]]:
    """EXPLAIN (no ANALYZE) each SELECT, as (query, plan)."""
    out = []
    with connection.cursor() as cursor:
        for sql in sqls:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            out.append((sql, "\n".join(r[0] for r in cursor.fetchall())))
    return out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only; runs in the DATABASE_URL=postgres:// pass")
@pytest.mark.parametrize("url", PAGES)
def test_no_query_of_a_manager_page_runs_a_subquery_per_row(demo: Demo, demo_manager_client: Client, url: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert demo_manager_client.get(url).status_code == 200
    plans = _plans([q["sql"] for q in queries.captured_queries])
    assert len(plans) >= 3  # the page's own queries were seen
    # One rep's day (their idle accounts' last activity) may probe per row: at most one rep's
    # accounts, found through the (snapshot, owner, zone) index. Nothing over the whole team may.
    per_row = [f"{sql}\n{plan}" for sql, plan in plans if "SubPlan" in plan and ONE_REP not in sql]
    assert per_row == []


def test_the_review_and_effort_queries_join_instead_of_a_correlated_subquery(demo: Demo, demo_manager_client: Client) -> None:
    """On every database: the previous zone / the zone of an activity come from a join of the rows."""
    for url in ("/portfolio/review/", "/portfolio/effort/"):
        with CaptureQueriesContext(connection) as queries:
            assert demo_manager_client.get(url).status_code == 200
        reading_rows = [q["sql"] for q in queries.captured_queries if "portfolio_snapshotrow" in q["sql"]]
        assert reading_rows
        # A correlated lookup would read the rows table inside a parenthesised SELECT.
        assert [sql for sql in reading_rows if "(SELECT" in sql.upper().replace("( SELECT", "(SELECT")] == []


def test_a_snapshot_stores_the_id_range_of_its_rows(demo: Demo) -> None:
    for made in (demo.before, demo.after):
        stored = Snapshot.objects.get(pk=made.pk)
        ids = list(SnapshotRow.objects.filter(snapshot=stored).values_list("id", flat=True))
        lo, hi = stored.row_id_min, stored.row_id_max
        assert lo is not None
        assert lo <= min(ids)  # ids skipped by rolled-back writes may lie below: still only this snapshot's rows
        assert hi == max(ids)
        assert not SnapshotRow.objects.filter(id__gte=lo, id__lte=hi).exclude(snapshot=stored).exists()


def test_scanning_a_stored_snapshot_reads_no_bounds(demo: Demo, django_assert_num_queries: Any) -> None:
    stored = Snapshot.objects.get(pk=demo.before.pk)
    with django_assert_num_queries(1):
        n = snapshot_scan(stored).count()
    assert n == SnapshotRow.objects.filter(snapshot=stored).count() == stored.account_count


def test_a_snapshot_made_before_the_bounds_were_stored_still_reads_exactly_its_rows(demo: Demo) -> None:
    Snapshot.objects.filter(pk=demo.after.pk).update(row_id_min=None, row_id_max=None)
    old = Snapshot.objects.get(pk=demo.after.pk)
    assert sorted(snapshot_scan(old).values_list("account_id", flat=True)) == sorted(
        SnapshotRow.objects.filter(snapshot=old).values_list("account_id", flat=True)
    )


def test_the_effort_tables_from_one_read_equal_the_two_separate_reads(demo: Demo) -> None:
    from datetime import date

    from kokyaku.portfolio.selectors import effort_return, effort_tables

    start, end = date(2025, 11, 1), date(2026, 11, 20)
    tables = effort_tables(demo.after, start=start, end=end)
    assert tables.team == effort_return(demo.after, start=start, end=end)
    whole = effort_return(demo.after, start=start, end=end, per_rep=True)
    assert len(tables.per_rep) == len(whole)
    theirs_by = {(r.rep_id, r.zone): r for r in whole}
    for mine in tables.per_rep:
        theirs = theirs_by[(mine.rep_id, mine.zone)]
        # The shares of one page of reps are taken of the team's total: equal up to float rounding.
        assert (mine.rep_id, mine.zone, mine.minutes, mine.revenue) == (
            theirs.rep_id,
            theirs.zone,
            theirs.minutes,
            theirs.revenue,
        )
        assert mine.effort_share == pytest.approx(theirs.effort_share, rel=1e-12)
        assert mine.revenue_share == pytest.approx(theirs.revenue_share, rel=1e-12)
    assert len(tables.team) >= 3
    assert len(tables.per_rep) > len(tables.team)


def test_the_effort_page_lists_reps_a_page_at_a_time(
    demo: Demo, demo_manager_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kokyaku.portfolio.views import effort

    monkeypatch.setattr(effort, "REPS_PER_PAGE", 10)
    url = "/portfolio/effort/?start=2025-11-01&end=2026-11-20"
    pages = [demo_manager_client.get(f"{url}&reps_page={n}").content.decode() for n in (1, 2)]
    tables = [html.split('data-testid="effort-reps"')[1].split("</table>")[0] for html in pages]
    assert [t.count("<tr><td>") for t in tables] == [10, 10]
    assert tables[0] != tables[1]
    assert "reps_page=2" in pages[0]
    assert "reps_page=1" in pages[1]


def test_the_targets_page_lists_reps_a_page_at_a_time_with_the_whole_team_below(
    demo: Demo, demo_manager_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kokyaku.portfolio.views import targets

    whole = demo_manager_client.get("/portfolio/targets/").content.decode()
    monkeypatch.setattr(targets, "REPS_PER_PAGE", 10)
    pages = [demo_manager_client.get(f"/portfolio/targets/?reps_page={n}").content.decode() for n in (1, 2, 99)]
    bodies = [html.split('data-testid="targets-table"')[1].split("<tbody>")[1].split("</tbody>")[0] for html in pages]
    assert [b.count("<tr>") for b in bodies[:2]] == [10, 10]
    assert bodies[0] != bodies[1]
    last = whole.split('data-testid="targets-table"')[1].split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert bodies[2].count("<tr>") == last - 10 * ((last - 1) // 10)  # past the end: the last page
    team = [html.split('data-testid="targets-team-row"')[1].split("</tr>")[0] for html in (whole, *pages)]
    assert len(set(team)) == 1  # the team's figures count every rep on every page


def test_the_api_offset_is_bounded_and_the_cursor_goes_deeper(demo: Demo, demo_manager_client: Client) -> None:
    from kokyaku.lib.pagination import MAX_OFFSET

    refused = demo_manager_client.get("/api/accounts", {"offset": MAX_OFFSET + 1})
    assert refused.status_code == 422
    assert "offset" in refused.content.decode()
    assert demo_manager_client.get("/api/accounts", {"offset": MAX_OFFSET}).status_code == 200
    near = demo_manager_client.get("/api/accounts", {"offset": MAX_OFFSET - 1, "limit": 2}).json()
    assert near["next_offset"] is None
    assert near["items"] == []
    first = demo_manager_client.get("/api/accounts", {"limit": 100}).json()
    assert first["next_offset"] == 100
    assert first["next"]


def test_the_move_counts_of_one_pass_equal_the_counted_lists(demo: Demo) -> None:
    from kokyaku.portfolio.selectors import zone_move_counts, zone_moves

    up, down = zone_move_counts(demo.after, demo.before)
    assert up == zone_moves(demo.after, previous=demo.before, direction="up").total
    assert down == zone_moves(demo.after, previous=demo.before, direction="down").total
    assert up + down == zone_moves(demo.after, previous=demo.before).total > 0


def test_the_owner_filter_is_a_search_box_not_one_option_per_rep(demo: Demo, demo_manager_client: Client) -> None:
    from kokyaku.crm.models import Rep

    html = demo_manager_client.get("/portfolio/accounts/").content.decode()
    assert 'data-testid="owner-search"' in html
    names = list(Rep.objects.filter(active=True).values_list("name", flat=True))
    assert len(names) >= 20
    assert sum(f">{name}</option>" in html for name in names) == 0  # no option per rep
    chosen = demo_manager_client.get("/portfolio/accounts/", {"owner": demo.rep.pk}).content.decode()
    assert f'value="{demo.rep.name}"' in chosen  # the chosen owner's name in the box
    assert f'name="owner" value="{demo.rep.pk}"' in chosen
    table = chosen.split('id="portfolio-table"')[1]
    others = SnapshotRow.objects.filter(snapshot=demo.after).exclude(owner=demo.rep)
    assert not any(name in table for name in others.values_list("account__name", flat=True)[:20])
    unknown = demo_manager_client.get("/portfolio/accounts/", {"owner": 999_999}).content.decode()
    assert 'name="owner" value=""' in unknown  # an unknown owner is dropped, as before


def test_the_owner_search_answers_at_most_20_matching_active_reps(demo: Demo, demo_manager_client: Client) -> None:
    from kokyaku.crm.models import Rep

    word = demo.rep.name.split()[0]
    body = demo_manager_client.get("/portfolio/owners/", {"q": word}).json()
    assert {"id": demo.rep.pk, "name": demo.rep.name} in body["results"]
    assert all(word.lower() in r["name"].lower() for r in body["results"])
    assert len(demo_manager_client.get("/portfolio/owners/", {"q": "a"}).json()["results"]) <= 20
    assert Rep.objects.filter(active=True, name__icontains="a").count() > 0
    assert demo_manager_client.get("/portfolio/owners/", {"q": " "}).json() == {"results": []}
    assert Client().get("/portfolio/owners/", {"q": word}).status_code == 302  # log in first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only; runs in the DATABASE_URL=postgres:// pass")
def test_the_largest_moves_can_be_read_in_order_from_the_moves_index(demo: Demo) -> None:
    """The moves query's WHERE implies the partial index's condition, so PostgreSQL can read the
    moved rows in expected-value order and stop after the first few (home's five up, five down)."""
    from kokyaku.portfolio.selectors import zone_moves

    after = Snapshot.objects.get(pk=demo.after.pk)
    with CaptureQueriesContext(connection) as queries:
        page = zone_moves(after, previous=demo.before, direction="up", per_page=5)
    assert page.rows
    moves = [q["sql"] for q in queries.captured_queries if "LIMIT 5" in q["sql"]]
    assert len(moves) == 1
    assert "JOIN" not in moves[0].split(" FROM ")[1].split(" WHERE ")[0].replace('INNER JOIN "crm_account"', "").replace(
        'LEFT OUTER JOIN "crm_rep"', ""
    )  # the snapshot's rows alone (the account's and owner's names aside), no second snapshot
    # On 120 accounts any index will do; without the other indexes of the rows (dropped inside the
    # test's transaction, rolled back after it) the plan shows whether the moves index applies at all.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("DROP INDEX snaprow_owner_zone")
        cursor.execute("ALTER TABLE portfolio_snapshotrow DROP CONSTRAINT snapshotrow_unique_account")
        cursor.execute(f"EXPLAIN {moves[0]}")
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "on snaprow_moves" in plan or "using snaprow_moves" in plan, plan
