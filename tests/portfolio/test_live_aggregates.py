"""Issue 18, home / targets / criteria at a million accounts: the database sums, Python reads a few rows.

* The targets' pipeline per rep is one GROUP BY in the database (a month's open deals at a million
  accounts are 70,000 rows): it must equal the per-deal computation it replaced
  (``deal_probability`` + ``target_forecast`` over every open deal read out).
* Home's follow-up queue picks its ten assignees from the open follow-ups alone, then counts those
  ten in full: the same ten, with the same counts, as sorting every assignee's line.
* The criteria page's cut-offs come from the snapshot's stored cut-offs when the rule is the
  snapshot's, else (PostgreSQL) from ``percentile_cont`` in the database: both equal
  ``resolve_thresholds`` over the rows read out.
* On PostgreSQL the new partial indexes can answer those queries (plan checks).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kokyaku.crm.models import Deal, Target
from kokyaku.domain.portfolio import AxisRule, deal_probability, resolve_thresholds, target_forecast
from kokyaku.followups.models import FollowUp
from kokyaku.followups.selectors import queue_by_rep
from kokyaku.portfolio.models import Snapshot, SnapshotCutoff, SnapshotRow
from kokyaku.portfolio.selectors import criteria_cutoffs, targets_view
from kokyaku.portfolio.selectors.snapshots import stage_probabilities_for
from tests.portfolio.pages_demo import NOW, Demo

pytestmark = pytest.mark.django_db

ON_POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only; runs in the postgres:// pass")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


PERIODS = [
    (date(2026, 11, 1), date(2026, 11, 30)),
    (date(2026, 10, 1), date(2026, 12, 31)),
    (date(2026, 4, 1), date(2027, 3, 31)),
]


def _per_deal(start: date, end: date, snapshot: Snapshot) -> pd.DataFrame:
    """The forecast as it was computed before: every open deal read out, its probability in pandas."""
    targets = pd.DataFrame.from_records(
        list(Target.objects.filter(period_start__gte=start, period_end__lte=end).values_list("rep_id", "amount").order_by()),
        columns=["rep_id", "target"],
    )
    won = pd.DataFrame.from_records(
        list(
            Deal.objects.filter(status="won", closed_on__gte=start, closed_on__lte=end)
            .exclude(owner_id=None)
            .values_list("owner_id", "amount")
            .order_by()
        ),
        columns=["rep_id", "amount"],
    )
    pipe = pd.DataFrame.from_records(
        list(
            Deal.objects.filter(status="open", expected_close_on__gte=start, expected_close_on__lte=end)
            .exclude(owner_id=None)
            .values_list("owner_id", "amount", "probability", "stage")
            .order_by()
        ),
        columns=["rep_id", "amount", "probability", "stage"],
    )
    pipe["probability"] = deal_probability(pipe["probability"], pipe["stage"], stage_probabilities_for(snapshot))
    for frame, col in ((targets, "target"), (won, "amount"), (pipe, "amount")):
        frame[col] = frame[col].astype(float)
    out = target_forecast(targets, won, pipe)
    return out.loc[out["target"].notna()].set_index("rep_id")


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_the_pipeline_summed_by_the_database_equals_the_per_deal_forecast(demo: Demo, start: date, end: date) -> None:
    view = targets_view(start=start, end=end, snapshot=demo.after, accounts_per_rep=0)
    expected = _per_deal(start, end, demo.after)
    assert len(view.reps) == len(expected) == view.reps_total > 5
    assert any(r.pipeline > 0 for r in view.reps)  # the pipeline is not empty
    open_deals = Deal.objects.filter(status="open", expected_close_on__gte=start, expected_close_on__lte=end)
    assert open_deals.filter(probability=None).exists()  # some take their stage's probability
    for row in view.reps:
        want: dict[str, float] = {str(k): float(v) for k, v in expected.loc[row.rep_id].astype(float).to_dict().items()}
        # Whole yen (sums of amounts) exactly; the probability-weighted sum up to float rounding.
        for col in ("target", "won", "pipeline", "yomi_won", "yomi_high", "yomi_mid", "gap", "gap_after_yomi"):
            assert getattr(row, col) == pytest.approx(want[col], rel=1e-12, abs=1e-6), (row.rep_id, col)
        assert row.weighted_pipeline == pytest.approx(want["weighted_pipeline"], rel=1e-9)
    assert view.team.reps_behind == int((expected["gap"] > 0).sum())
    assert view.team.reps_behind_after_yomi == int((expected["gap_after_yomi"] > 0).sum())
    assert view.team.yomi_mid == pytest.approx(float(expected["yomi_mid"].sum()), rel=1e-12)


def test_a_page_of_reps_is_the_same_slice_of_every_rep_by_name(demo: Demo) -> None:
    start, end = PERIODS[2]
    every = targets_view(start=start, end=end, snapshot=demo.after, accounts_per_rep=0)
    page = targets_view(start=start, end=end, snapshot=demo.after, accounts_per_rep=0, reps_slice=slice(5, 12))
    assert [r.rep for r in every.reps] == sorted(r.rep for r in every.reps)
    assert page.reps == every.reps[5:12]
    assert (page.team, page.reps_total) == (every.team, every.reps_total)


@pytest.mark.parametrize("limit", [1, 3, 10, 29, 1000])
def test_the_home_queue_picks_the_same_assignees_as_sorting_every_line(demo: Demo, limit: int) -> None:
    today = NOW.date()
    every = queue_by_rep(today=today)
    has_open = sum(1 for q in every if q.open)
    assert has_open > 3  # the demo has open follow-ups for several reps
    want = sorted(every, key=lambda q: (-q.overdue, -q.open, q.rep is None, q.rep or "", q.rep_id or 0))[:limit]
    with CaptureQueriesContext(connection) as queries:
        got = queue_by_rep(today=today, limit=limit)
    assert got == want
    # Two queries: the pick, then the counts of those picked (of everyone when fewer have anything open).
    assert len(queries.captured_queries) == 2
    assert ("IN (" in queries.captured_queries[1]["sql"]) == (limit <= has_open)


def test_the_queue_picks_the_unassigned_line_too(demo: Demo) -> None:
    today = NOW.date()
    FollowUp.objects.filter(pk__in=FollowUp.objects.filter(status="open").values("pk")[:40]).update(assignee=None)
    every = queue_by_rep(today=today)
    want = sorted(every, key=lambda q: (-q.overdue, -q.open, q.rep is None, q.rep or "", q.rep_id or 0))[:3]
    assert any(q.rep_id is None for q in want)  # 40 unassigned: the longest line
    assert queue_by_rep(today=today, limit=3) == want


def _values(snapshot: Snapshot) -> tuple[Any, Any]:
    rows = SnapshotRow.objects.filter(snapshot=snapshot).values_list("unit_price", "win_probability")
    arr = np.array([(np.nan if p is None else float(p), np.nan if q is None else q) for p, q in rows], dtype=float)
    return arr[:, 0], arr[:, 1]


def test_the_cut_offs_of_the_snapshots_own_rule_are_its_stored_ones_without_a_query(demo: Demo) -> None:
    snapshot = Snapshot.objects.select_related("criteria").get(pk=demo.after.pk)
    spec = snapshot.criteria.to_spec()
    with CaptureQueriesContext(connection) as queries:
        cut = criteria_cutoffs(spec, snapshot=snapshot)
    assert queries.captured_queries == []
    live = resolve_thresholds(*_values(snapshot), spec)
    # The stored cut-offs were taken on the unrounded unit prices; the rows keep them to the hundredth.
    assert cut.price_low == pytest.approx(live.price_low, abs=0.01)
    assert cut.price_high == pytest.approx(live.price_high, abs=0.01)
    assert (cut.probability_low, cut.probability_high) == pytest.approx((live.probability_low, live.probability_high))


def test_another_quantile_rule_is_computed_over_the_snapshots_rows(demo: Demo) -> None:
    snapshot = Snapshot.objects.select_related("criteria").get(pk=demo.after.pk)
    used = snapshot.criteria.to_spec()
    import dataclasses

    spec = dataclasses.replace(used, price=AxisRule("quantile", 0.25, 0.9), probability=AxisRule("absolute", 0.2, 0.6))
    with CaptureQueriesContext(connection) as queries:
        cut = criteria_cutoffs(spec, snapshot=snapshot)
    assert len(queries.captured_queries) == 1  # one axis to compute; the fixed one needs nothing
    prices, _ = _values(snapshot)
    low, high = np.quantile(prices[np.isfinite(prices)], [0.25, 0.9])
    assert (cut.price_low, cut.price_high) == pytest.approx((low, high), rel=1e-12)
    assert (cut.probability_low, cut.probability_high) == (0.2, 0.6)
    if connection.vendor == "postgresql":  # the values stayed in the database: two numbers came back
        assert "percentile_cont" in queries.captured_queries[0]["sql"]


def _page_cutoffs(html: str, axis: str) -> tuple[str, str]:
    line = re.search(rf'data-testid="cutoffs-{axis}">(.*?)</p>', html, re.DOTALL)
    assert line, axis
    low, high = re.findall(r"<strong>([^<]*)</strong>", line.group(1))
    return low, high


def test_a_new_versions_percentiles_are_computed_once_then_read_back(
    demo: Demo, django_assert_max_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved after the snapshot with other percentiles: the page shows their exact cut-offs, computed on the first GET only."""
    from tests.portfolio.pages_demo import demo_client
    from tests.portfolio.test_views import _criteria_post

    demo_manager_client = demo_client("manager")

    snapshot = Snapshot.objects.get(pk=demo.after.pk)
    posted = demo_manager_client.post("/portfolio/criteria/", _criteria_post(price_low="25", price_high="90", note="wider"))
    assert posted.status_code == 302
    assert not SnapshotCutoff.objects.exists()
    first = demo_manager_client.get("/portfolio/criteria/")
    assert first.status_code == 200
    html = first.content.decode()
    prices, _ = _values(snapshot)
    low, high = np.quantile(prices[np.isfinite(prices)], [0.25, 0.9])
    assert _page_cutoffs(html, "price") == (f"¥{low:,.0f}", f"¥{high:,.0f}")
    cut = snapshot.thresholds  # the probability rule is the snapshot's own: its stored cut-offs
    assert _page_cutoffs(html, "probability") == (f"{cut['probability_low'] * 100:.1f}%", f"{cut['probability_high'] * 100:.1f}%")
    kept = SnapshotCutoff.objects.get()  # the price axis only: the probability one was stored with the snapshot
    assert (kept.snapshot_id, kept.axis, kept.low, kept.high) == (snapshot.pk, "price", 0.25, 0.9)
    assert (kept.low_value, kept.high_value) == pytest.approx((low, high), rel=1e-12)
    # Every GET after reads the kept row: no pass over the snapshot's rows, no percentile_cont.
    with CaptureQueriesContext(connection) as queries:
        again = demo_manager_client.get("/portfolio/criteria/")
    assert [_page_cutoffs(again.content.decode(), axis) for axis in ("price", "probability")] == [
        _page_cutoffs(html, axis) for axis in ("price", "probability")
    ]
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "portfolio_snapshotrow" in q or "percentile_cont" in q]
    assert sum("portfolio_snapshotcutoff" in q for q in sql) == 1
    with django_assert_max_num_queries(13):
        demo_manager_client.get("/portfolio/criteria/")
    assert SnapshotCutoff.objects.count() == 1
    # A later version with the same percentiles (another note, another grid) shares the kept row.
    same_rule = _criteria_post(price_low="25", price_high="90", grid_low_low="B")
    assert demo_manager_client.post("/portfolio/criteria/", same_rule).status_code == 302
    with CaptureQueriesContext(connection) as queries:
        shared = demo_manager_client.get("/portfolio/criteria/").content.decode()
    assert not [q for q in queries.captured_queries if "portfolio_snapshotrow" in q["sql"]]
    assert _page_cutoffs(shared, "price") == (f"¥{low:,.0f}", f"¥{high:,.0f}")
    # The preview of a large snapshot (thresholds lowered) takes the kept cut-offs as exact, not the sample's.
    from kokyaku.portfolio.selectors import criteria as criteria_selectors

    monkeypatch.setattr(criteria_selectors, "PREVIEW_EXACT_UP_TO", 50)
    monkeypatch.setattr(criteria_selectors, "PREVIEW_SAMPLE", 40)
    preview = demo_manager_client.post("/portfolio/criteria/preview/", _criteria_post(price_low="25", price_high="90"))
    body = preview.content.decode()
    assert 'data-testid="preview-sampled"' in body
    assert "the cut-offs below are exact" in body
    assert f"¥{high:,.0f}" in body.split('data-testid="preview-cut-price-high"')[1].split("<br>")[0]
    assert "≈" not in body.split('data-testid="preview-cutoffs"')[1]
    # The kept cut-offs go with their snapshot.
    from kokyaku.portfolio.services import snapshot_delete

    snapshot_delete(actor=None, snapshot=snapshot)
    assert not SnapshotCutoff.objects.exists()


def _plan(sql: str) -> str:
    """EXPLAIN with sequential and bitmap scans priced out: which index the planner can answer the query from.

    (The test tables are tiny, unvacuumed and unanalysed: left to itself the planner picks anything.)
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_bitmapscan")
    return plan


@ON_POSTGRES
def test_the_targets_pipeline_reads_the_open_deals_from_their_covering_index_alone(demo: Demo) -> None:
    start, end = PERIODS[0]
    with CaptureQueriesContext(connection) as queries:
        targets_view(start=start, end=end, snapshot=demo.after, accounts_per_rep=0)
    (pipeline,) = [q["sql"] for q in queries.captured_queries if "expected_close_on" in q["sql"]]
    # Read with COPY (... ) TO STDOUT: the SELECT inside is what is planned; its parameters are bound already.
    select = pipeline.removeprefix("COPY (").removesuffix(") TO STDOUT WITH (FORMAT csv)")
    assert select.startswith("SELECT")
    with connection.cursor() as cursor:
        # The index covers every column the query reads (so, vacuumed, it is read alone: an index-only scan)
        cursor.execute("SELECT pg_get_indexdef('crm_deal_open_expected_cover'::regclass)")
        definition = str(cursor.fetchone()[0])
        # Out of the way for this test only (the test's transaction rolls the DROPs back): the deals'
        # other plain indexes. On the tiny, unanalysed test table any of them looks as cheap (the
        # (owner, status) one won in a full run), and the question here is whether this one can answer.
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = 'crm_deal'::regclass AND i.relname <> 'crm_deal_open_expected_cover'"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        )
        others = [str(name) for (name,) in cursor.fetchall()]
        assert "crm_deal_status_expected_idx" in others
        for name in others:
            cursor.execute(f'DROP INDEX "{name}"')
    assert "(expected_close_on) INCLUDE (owner_id, amount, currency, probability, stage) WHERE" in definition, definition
    assert "'open'" in definition
    plan = _plan(select)
    assert "using crm_deal_open_expected_cover" in plan, plan


@ON_POSTGRES
def test_the_home_queue_picks_from_the_open_follow_ups_index(demo: Demo) -> None:
    with CaptureQueriesContext(connection) as queries:
        queue_by_rep(today=NOW.date(), limit=3)
    pick = queries.captured_queries[0]["sql"]
    assert "followup_open_assignee_due" in _plan(pick)


def test_the_targets_page_finds_reps_by_name_and_keeps_the_teams_figures(demo: Demo) -> None:
    from tests.portfolio.pages_demo import demo_client

    client = demo_client("manager")
    whole = client.get("/portfolio/targets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    every = targets_view(start=date(2026, 11, 1), end=date(2026, 11, 30), accounts_per_rep=0)
    name = every.reps[3].rep
    word = name.split()[-1].upper()  # any case
    found = client.get("/portfolio/targets/", {"rep": word}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    body = found.split('data-testid="targets-table"')[1].split("<tbody>")[1].split("</tbody>")[0]
    want = [r.rep for r in every.reps if word.casefold() in r.rep.casefold()]
    assert 0 < len(want) < len(every.reps)
    assert body.count("<tr>") == len(want)
    assert all(f"<td>{n}</td>" in body for n in want)
    assert 'data-testid="targets-rep-matches"' in found
    team = [html.split('data-testid="targets-team-row"')[1].split("</tr>")[0] for html in (whole, found)]
    assert team[0] == team[1]  # the team's row counts every rep, searched or not
    none = client.get("/portfolio/targets/", {"rep": "no such rep \x00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert none.status_code == 200
    assert "No rep with a target in this period matches the search." in none.content.decode()


def test_the_unfiltered_accounts_table_takes_its_total_from_the_snapshot(demo: Demo) -> None:
    from kokyaku.portfolio.selectors import portfolio_table

    snapshot = Snapshot.objects.get(pk=demo.after.pk)
    with CaptureQueriesContext(connection) as queries:
        page = portfolio_table(snapshot, per_page=10)
    assert page.total == SnapshotRow.objects.filter(snapshot=snapshot).count() == snapshot.account_count
    assert len(page.rows) == 10
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]  # no count over the rows
    unzoned = portfolio_table(snapshot, per_page=10, zone="")  # "" is a filter (the unzoned), not "any zone"
    assert unzoned.total == SnapshotRow.objects.filter(snapshot=snapshot, zone="").count() < page.total
    mine = portfolio_table(snapshot, per_page=10, owner_id=demo.rep.pk, search="")
    assert mine.total == SnapshotRow.objects.filter(snapshot=snapshot, owner_id=demo.rep.pk).count() < page.total


def test_a_large_snapshots_preview_estimates_the_moves_from_a_sample_and_says_so(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from kokyaku.portfolio.selectors import criteria as criteria_selectors
    from kokyaku.portfolio.selectors import criteria_preview

    snapshot = Snapshot.objects.select_related("criteria").get(pk=demo.after.pk)
    used = snapshot.criteria.to_spec()
    change = dataclasses.replace(used, price=AxisRule("quantile", used.price.low, 0.5))
    exact = criteria_preview(change, snapshot=snapshot)
    assert exact is not None
    assert (exact.sample, exact.step) == (0, 1)
    assert exact.total == snapshot.account_count
    monkeypatch.setattr(criteria_selectors, "PREVIEW_EXACT_UP_TO", 50)
    monkeypatch.setattr(criteria_selectors, "PREVIEW_SAMPLE", 40)
    sampled = criteria_preview(change, snapshot=snapshot)
    assert sampled is not None
    step = -(-snapshot.account_count // 40)
    assert sampled.step == step > 1
    lo = Snapshot.objects.get(pk=snapshot.pk).row_id_min or 0
    ids = SnapshotRow.objects.filter(snapshot=snapshot).values_list("id", flat=True)
    assert sampled.sample == sum(1 for i in ids if (i - lo) % step == 0)  # every step-th row of the id range
    # Each of the 16 cells is scaled and rounded: the total is the snapshot's within that rounding.
    assert abs(sampled.total - snapshot.account_count) <= 8
    assert sampled.moved > 0
    # The cut-offs the snapshot stored (its own rules) stay exact; the changed price rule's are the
    # sample's own quantiles, and are named as estimates.
    assert (sampled.now, sampled.now_estimated) == (exact.now, frozenset())
    assert (sampled.new.probability_low, sampled.new.probability_high) == (exact.new.probability_low, exact.new.probability_high)
    assert sampled.new_estimated == frozenset({"price"})
    sample_ids = [i for i in ids if (i - lo) % step == 0]
    prices = np.array(
        [float(p) for p in SnapshotRow.objects.filter(id__in=sample_ids).values_list("unit_price", flat=True) if p is not None]
    )
    assert (sampled.new.price_low, sampled.new.price_high) == pytest.approx(
        (float(np.quantile(prices, used.price.low)), float(np.quantile(prices, 0.5))), abs=0.01
    )
    from tests.portfolio.pages_demo import demo_client
    from tests.portfolio.test_views import _criteria_post

    client = demo_client("manager")
    html = client.post("/portfolio/criteria/preview/", _criteria_post(price_high="50")).content.decode()
    assert 'data-testid="preview-sampled"' in html
    assert "≈" in html.split('data-testid="preview-moved"')[1].split("</p>")[0]
    cell = html.split('data-testid="preview-cut-price-high"')[1].split("<br>")[0]
    assert "≈" in cell  # the estimated cut-off says so
    assert "≈" not in html.split('data-testid="preview-cut-probability-high"')[1].split("<br>")[0]  # stored: exact
    assert "≈" not in html.split('data-testid="preview-cut-price-high"')[0].rsplit('<td class="num">', 1)[1]  # now: exact
    assert "the cut-offs marked ≈ below are" in html
    # A fixed price rule needs no rows: every cut-off exact, and the page says so.
    absolute = _criteria_post(price_mode="absolute", price_low="1000", price_high="5000")
    fixed = client.post("/portfolio/criteria/preview/", absolute)
    body = fixed.content.decode()
    assert fixed.status_code == 200
    assert 'data-testid="preview-sampled"' in body
    assert "the cut-offs below are exact" in body
    assert "≈" not in body.split('data-testid="preview-cutoffs"')[1]


@ON_POSTGRES
def test_a_large_snapshots_preview_reads_its_sample_by_primary_key_lookups(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    from kokyaku.portfolio.selectors import criteria as criteria_selectors

    snapshot = Snapshot.objects.select_related("criteria").get(pk=demo.after.pk)
    with CaptureQueriesContext(connection) as queries:
        price, _probability = criteria_selectors._snapshot_values(snapshot, step=3)
    lo = snapshot.row_id_min or 0
    ids = SnapshotRow.objects.filter(snapshot=snapshot).values_list("id", flat=True)
    assert len(price) == sum(1 for i in ids if (i - lo) % 3 == 0)  # the same systematic sample as before
    read = [q["sql"] for q in queries.captured_queries if "portfolio_snapshotrow" in q["sql"]]
    assert len(read) == 1
    plan = _plan(read[0])
    # The ids are probed through the primary key (about rows / step lookups), not filtered out of a
    # scan of the whole id range ("(id - lo) % step = 0" read every row: 0.56 s at a million).
    assert "portfolio_snapshotrow_pkey" in plan, plan
    cond = [line for line in plan.splitlines() if "Index Cond:" in line]
    assert cond, plan
    assert "(id = ANY (" in cond[0], plan
    assert "%" not in plan, plan


def test_the_yomi_thresholds_are_still_checked(demo: Demo) -> None:
    from kokyaku.domain.errors import DomainError

    with pytest.raises(DomainError, match="ヨミ thresholds"):
        targets_view(start=date(2026, 11, 1), end=date(2026, 11, 30), high=0.4, mid=0.7)
