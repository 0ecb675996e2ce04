"""Issue 18: what a snapshot stores for the pages (effort sums, previous zones, the team grid) equals the live figures.

The effort page's default range runs to today: whole months up to the snapshot's as-of day come
from the sums stored with the snapshot (``EffortMonth``), the days after it (and a partial first
month) are read live. These tests compare stored + live with all-live over many ranges, on
SQLite and PostgreSQL, and pin the documented choice: what is logged after the snapshot for a
stored month counts from the next snapshot on; what happens after the as-of day counts at once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kokyaku.crm.models import Activity, Rep, Team
from kokyaku.portfolio import selectors
from kokyaku.portfolio.models import EffortMonth, Snapshot, SnapshotRow
from kokyaku.portfolio.selectors.effort import effort_window, stored_span
from kokyaku.portfolio.services import snapshot_create
from tests.portfolio.pages_demo import AS_OF, NOW, Demo, demo_client

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _live(snapshot: Snapshot) -> Snapshot:
    """The same snapshot as if nothing had been stored with it (the readers then aggregate live)."""
    unstored = copy.copy(snapshot)
    unstored.effort_from = None
    unstored.matrix_cells = None
    unstored.migration_previous_id = None
    return unstored


RANGES = [
    (date(2025, 11, 1), date(2026, 11, 21)),  # the page's default at NOW: stored months + the live tail
    (date(2025, 12, 1), date(2026, 11, 20)),  # up to the as-of day
    (date(2026, 2, 14), date(2026, 9, 30)),  # a partial first month (live head), whole months after
    (date(2026, 3, 1), date(2026, 8, 17)),  # ends inside a month before the as-of day: that month live
    (date(2026, 11, 3), date(2026, 11, 10)),  # inside the as-of month, before the as-of day: all live
    (date(2026, 11, 21), date(2026, 12, 31)),  # after the as-of day: all live
    (date(2023, 1, 1), date(2026, 11, 21)),  # reaching before the stored months: a live head
    (date(2024, 1, 1), date(2024, 6, 30)),  # before them: all live
]


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_stored_effort_plus_the_live_days_equals_the_live_figures(demo: Demo, start: date, end: date) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    assert after.effort_from == effort_window(AS_OF) == date(2025, 11, 1)
    for per_rep in (False, True):
        stored = selectors.effort_return(after, start=start, end=end, per_rep=per_rep)
        live = selectors.effort_return(_live(after), start=start, end=end, per_rep=per_rep)
        assert [(r.rep_id, r.zone, r.minutes, r.revenue) for r in stored] == [
            (r.rep_id, r.zone, r.minutes, r.revenue) for r in live
        ]
        assert [r.effort_share for r in stored] == pytest.approx([r.effort_share for r in live], rel=1e-12)


def test_the_stored_span_is_whole_months_up_to_the_as_of_day(demo: Demo) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    assert stored_span(after, date(2025, 11, 1), date(2026, 11, 21)) == (date(2025, 11, 1), AS_OF)
    assert stored_span(after, date(2026, 2, 14), date(2026, 9, 30)) == (date(2026, 3, 1), date(2026, 9, 30))
    assert stored_span(after, date(2026, 3, 1), date(2026, 8, 17)) == (date(2026, 3, 1), date(2026, 7, 31))
    assert stored_span(after, date(2026, 11, 3), date(2026, 11, 10)) is None
    assert stored_span(after, date(2024, 1, 1), date(2024, 6, 30)) is None
    assert stored_span(_live(after), date(2025, 11, 1), date(2026, 11, 21)) is None
    # The team's stored sums over the window are those of the activities up to the as-of day.
    stored = EffortMonth.objects.filter(snapshot=after, per_rep=False, kind=EffortMonth.Kind.MINUTES)
    live = selectors.effort_return(_live(after), start=date(2025, 11, 1), end=AS_OF)
    assert sum(m or 0 for m in stored.values_list("minutes", flat=True)) == sum(r.minutes for r in live) > 0
    per_rep = EffortMonth.objects.filter(snapshot=after, per_rep=True, kind=EffortMonth.Kind.MINUTES)
    assert sum(m or 0 for m in per_rep.values_list("minutes", flat=True)) == sum(
        m or 0 for m in stored.values_list("minutes", flat=True)
    )


def test_what_is_logged_after_the_snapshot_counts_in_the_tail_at_once_and_in_stored_months_from_the_next_snapshot(
    demo: Demo,
) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    start, end = date(2025, 11, 1), date(2026, 11, 21)
    minutes = sum(r.minutes for r in selectors.effort_return(after, start=start, end=end))
    Activity.objects.create(
        account=demo.rep_account, rep=demo.rep, kind="call", minutes=77, occurred_at=datetime(2026, 11, 21, 9, tzinfo=TOKYO)
    )
    assert sum(r.minutes for r in selectors.effort_return(after, start=start, end=end)) == minutes + 77  # the live tail
    Activity.objects.create(
        account=demo.rep_account, rep=demo.rep, kind="call", minutes=55, occurred_at=datetime(2026, 6, 2, 9, tzinfo=TOKYO)
    )
    assert sum(r.minutes for r in selectors.effort_return(after, start=start, end=end)) == minutes + 77  # June is stored
    assert sum(r.minutes for r in selectors.effort_return(_live(after), start=start, end=end)) == minutes + 77 + 55
    newer = Snapshot.objects.get(pk=snapshot_create(actor=None, as_of=AS_OF).pk)
    assert sum(r.minutes for r in selectors.effort_return(newer, start=start, end=end)) == minutes + 77 + 55


def test_each_row_keeps_its_zone_in_the_snapshot_before(demo: Demo) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    before = dict(SnapshotRow.objects.filter(snapshot=demo.before).values_list("account_id", "zone"))
    rows = list(SnapshotRow.objects.filter(snapshot=after).values_list("account_id", "zone_before"))
    assert rows
    assert all(zone_before == before.get(account_id) for account_id, zone_before in rows)
    assert any(zone_before == "" for _a, zone_before in rows) or "" not in before.values()
    assert set(SnapshotRow.objects.filter(snapshot=demo.before).values_list("zone_before", flat=True)) == {None}


def test_the_stored_team_grid_equals_the_counted_one(demo: Demo) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    assert after.matrix_cells
    stored, live = selectors.team_matrix(after), selectors.team_matrix(_live(after))
    assert stored.total == live.total == after.account_count
    assert stored == live


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_effort_page_and_api_run_as_many_queries_with_many_more_reps(demo: Demo) -> None:
    client = demo_client("manager")
    urls = [
        "/portfolio/effort/",
        "/portfolio/effort/?reps_page=2",
        "/api/portfolio/effort?start=2025-11-01&end=2026-11-21&per_rep=true",
    ]
    counts = [_queries(client, url) for url in urls]
    team = Team.objects.first()
    Rep.objects.bulk_create(Rep(external_id=f"X-{i}", name=f"Extra rep {i:03d}", team=team) for i in range(300))
    assert [_queries(client, url) for url in urls] == counts


def test_the_effort_api_pages_its_reps(demo: Demo) -> None:
    client = demo_client("manager")
    url = "/api/portfolio/effort?start=2025-11-01&end=2026-11-21&per_rep=true&reps_per_page=7"
    pages: list[dict[str, Any]] = []
    page: int | None = 1
    while page is not None:
        body = client.get(f"{url}&reps_page={page}").json()
        pages.append(body)
        page = body["next_reps_page"]
    total = pages[0]["reps_total"]
    assert total >= Rep.objects.count()
    assert len(pages) == -(-total // 7) > 1
    assert all(len({r["rep_id"] for r in p["rows"]}) <= 7 for p in pages)
    whole = selectors.effort_return(
        Snapshot.objects.get(pk=demo.after.pk), start=date(2025, 11, 1), end=date(2026, 11, 21), per_rep=True
    )
    paged = sorted((r["rep_id"] or 0, r["zone"], r["minutes"], r["revenue"]) for p in pages for r in p["rows"])
    assert paged == sorted((r.rep_id or 0, r.zone, r.minutes, r.revenue) for r in whole)
    assert client.get(f"{url}&reps_per_page=501").status_code == 422
    team = client.get("/api/portfolio/effort?start=2025-11-01&end=2026-11-21").json()
    assert team["reps_total"] is None
    assert {r["zone"] for r in team["rows"]} <= {"A", "B", "C", ""}


def test_team_review_and_targets_pick_a_rep_with_a_search_box_not_one_option_per_rep(demo: Demo) -> None:
    client = demo_client("manager")
    names = list(Rep.objects.filter(active=True).values_list("name", flat=True))
    assert len(names) >= 20
    for url in ("/portfolio/", "/portfolio/review/", "/portfolio/targets/"):
        html = client.get(url).content.decode()
        assert "data-owner-search" in html
        assert sum(f">{name}</option>" in html for name in names) == 0, url
    chosen = client.get("/portfolio/review/", {"owner": demo.rep.pk}).content.decode()
    assert f'value="{demo.rep.name}"' in chosen
    assert f'name="owner" value="{demo.rep.pk}"' in chosen
    unknown = client.get("/portfolio/review/", {"owner": 999_999}).content.decode()
    assert 'name="owner" value=""' in unknown
    team = client.get("/portfolio/", {"rep": demo.rep2.pk}).content.decode()
    assert f'value="{demo.rep2.name}"' in team
    assert f'name="rep" value="{demo.rep2.pk}"' in team


def test_activities_and_won_deals_without_a_rep_are_one_no_rep_line_stored_or_live(demo: Demo) -> None:
    from kokyaku.crm.models import Deal
    from kokyaku.portfolio.precompute import restore_summaries

    Activity.objects.create(
        account=demo.rep_account, rep=None, kind="visit", minutes=33, occurred_at=datetime(2026, 5, 5, 9, tzinfo=TOKYO)
    )
    Activity.objects.create(
        account=demo.rep_account, rep=None, kind="visit", minutes=44, occurred_at=datetime(2026, 11, 21, 9, tzinfo=TOKYO)
    )
    Deal.objects.filter(
        pk=Deal.objects.filter(status=Deal.Status.WON, closed_on__gte=date(2026, 1, 1)).order_by("id")[0].pk
    ).update(owner=None)
    after = Snapshot.objects.get(pk=demo.after.pk)
    restore_summaries(after)  # as if the snapshot had been made with these
    after = Snapshot.objects.get(pk=demo.after.pk)
    start, end = date(2025, 11, 1), date(2026, 11, 21)
    stored = selectors.effort_return(after, start=start, end=end, per_rep=True)
    live = selectors.effort_return(_live(after), start=start, end=end, per_rep=True)
    assert [(r.rep_id, r.zone, r.minutes, r.revenue) for r in stored] == [(r.rep_id, r.zone, r.minutes, r.revenue) for r in live]
    no_rep = [r for r in stored if r.rep_id is None]
    assert sum(r.minutes for r in no_rep) == 33 + 44
    assert sum(r.revenue for r in no_rep) > 0
    tables = selectors.effort_tables(after, start=start, end=end, page=99, per_page=10)
    assert tables.reps[-1] == (None, "")  # the last page ends with "no rep"
    assert tables.reps_total == Rep.objects.count() + 1
    assert sum(r.minutes for r in tables.per_rep if r.rep_id is None) == 77


def test_the_managers_home_lists_the_ten_most_overdue_reps_follow_ups_not_every_rep(demo: Demo) -> None:
    from kokyaku.crm.models import Account
    from kokyaku.followups.models import FollowUp

    reps = list(Rep.objects.order_by("id")[:14])
    accounts = iter(Account.objects.exclude(follow_ups__status="open").order_by("id"))  # one open follow-up per account
    for i, rep in enumerate(reps):  # rep i has i overdue follow-ups
        FollowUp.objects.bulk_create(
            FollowUp(account=next(accounts), assignee=rep, reason="dormant", due_on=date(2026, 11, 1)) for _ in range(i)
        )
    FollowUp.objects.create(account=next(accounts), assignee=reps[0], reason="dormant", due_on=date(2026, 12, 30))  # not overdue
    html = demo_client("manager").get("/").content.decode()
    panel = html.split('data-testid="home-queue"')[1].split("</section>")[0]
    assert panel.count("<tr><td>") == 10
    from kokyaku.followups.selectors import queue_by_rep

    every = queue_by_rep(today=NOW.date())
    assert len(every) > 10
    top = sorted(every, key=lambda q: (-q.overdue, -q.open, q.rep or "\uffff"))[:10]
    assert [q.rep for q in top][:1] == [reps[13].name]  # 13 overdue: the most
    assert all(f">{q.rep}</a>" in panel for q in top)  # the ten with the most overdue, and no one else


def test_the_largest_gaps_of_home_are_those_of_the_whole_team_without_a_record_per_rep(demo: Demo) -> None:
    from kokyaku.portfolio.selectors import targets_view

    start, end = date(2026, 4, 1), date(2027, 3, 31)
    every = targets_view(start=start, end=end, accounts_per_rep=0)
    top = targets_view(start=start, end=end, accounts_per_rep=0, largest_gaps=3)
    behind = sorted((r for r in every.reps if r.gap > 0), key=lambda r: (-r.gap, r.rep, r.rep_id))
    assert len(behind) > 3
    assert top.reps == behind[:3]
    assert top.reps_total == every.reps_total == len(every.reps)
    assert top.team == every.team
    assert top.team.reps_behind == len(behind)
