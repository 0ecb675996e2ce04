"""Selectors: each answers from a few queries with numbers checked against the hand-made portfolio."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kokyaku.crm.models import Account, Activity, ConversionRate, Deal, Rep, Target
from kokyaku.domain.portfolio import AxisRule, CriteriaSpec
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.precompute import restore_summaries
from kokyaku.portfolio.selectors import (
    Flow,
    OpenDealDates,
    account_zone_history,
    criteria_preview,
    effort_return,
    effort_tables,
    open_deal_dates,
    portfolio_table,
    rep_breakdown,
    scatter_points,
    snapshot_get,
    snapshot_is_before,
    snapshot_latest,
    snapshot_list,
    snapshot_previous,
    targets_view,
    team_matrix,
    zone_migration,
    zone_migration_accounts,
    zone_moves,
)
from kokyaku.portfolio.services import snapshot_create
from tests.portfolio.conftest import AS_OF

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_latest_and_previous_snapshots_are_found(portfolio: dict[int, Account]) -> None:
    first = snapshot_create(actor=None, as_of=AS_OF)
    second = snapshot_create(actor=None, as_of=AS_OF)
    assert snapshot_latest() == second
    assert snapshot_previous(second) == first
    assert snapshot_previous(first) is None


def test_latest_means_the_latest_as_of_date_not_the_latest_computed(portfolio: dict[int, Account]) -> None:
    # The reviewer's case: a demo with a current snapshot, then `kokyaku snapshot --as-of` a past date.
    november = snapshot_create(actor=None, as_of=date(2026, 11, 28))
    august = snapshot_create(actor=None, as_of=date(2026, 8, 31))
    assert snapshot_latest() == november
    assert snapshot_get("latest") == november
    assert snapshot_previous(november) == august
    assert snapshot_previous(august) is None
    assert snapshot_list() == [november, august]
    assert snapshot_is_before(august, november)
    assert not snapshot_is_before(november, august)
    # The same as-of date twice: the newest computed is the latest, the other one comes before it.
    november_again = snapshot_create(actor=None, as_of=date(2026, 11, 28))
    assert snapshot_latest() == november_again
    assert snapshot_previous(november_again) == november
    assert snapshot_list() == [november_again, november, august]


def test_the_rep_table_filters_sorts_and_paginates_in_two_queries(
    portfolio: dict[int, Account], strong_rep: Rep, django_assert_max_num_queries: Any
) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    with django_assert_max_num_queries(2):
        page = portfolio_table(snapshot, owner_id=strong_rep.pk, sort="-expected_value", per_page=2, page=1)
    assert page.total == 5  # accounts 1, 3, 5, 7, 9
    assert page.num_pages == 3
    assert [r.account_external_id for r in page.rows] == ["ACC-009", "ACC-007"]
    assert page.rows[0].owner == strong_rep.name
    assert page.rows[0].expected_value == Decimal("810000.00")  # 900,000 yen at 90 %
    zone_a = portfolio_table(snapshot, zone="A", sort="name")
    assert [r.account_external_id for r in zone_a.rows] == ["ACC-009", "ACC-007", "ACC-008"]  # "=" sorts before katakana
    assert portfolio_table(snapshot, near_boundary=True).total == 2
    assert portfolio_table(snapshot, search="prospect").rows[0].zone == ""
    assert portfolio_table(snapshot, zone="").total == 1  # unzoned: account 10
    assert portfolio_table(snapshot, price_band="high", probability_band="high").total == 3  # accounts 7, 8, 9
    assert portfolio_table(snapshot, page=99, per_page=4).page == 3  # clamped to the last page


def test_the_whole_teams_table_reads_the_snapshot_in_three_queries(
    portfolio: dict[int, Account], django_assert_max_num_queries: Any
) -> None:
    created = snapshot_create(actor=None, as_of=AS_OF)
    snapshot = snapshot_get(created.pk)  # a fresh object: the id bounds are not remembered yet
    assert snapshot is not None
    with django_assert_max_num_queries(3):
        page = portfolio_table(snapshot, sort="name", per_page=3)
    assert page.total == 10
    assert [r.account_name for r in page.rows] == ['=HYPERLINK("http://evil")', "Prospect Ltd", "株式会社テスト1"]


def test_the_team_matrix_counts_and_sums_expected_value_per_cell_in_one_pass(
    portfolio: dict[int, Account], strong_rep: Rep, django_assert_max_num_queries: Any
) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    with django_assert_max_num_queries(2):  # the snapshot's id bounds, then the pass
        matrix = team_matrix(snapshot)
    assert matrix.zone_accounts == {"A": 3, "B": 3, "C": 3}
    assert matrix.unzoned == 1
    assert matrix.total == 10
    high_high = matrix.cells[0][0]
    assert (high_high.price_band, high_high.probability_band, high_high.zone, high_high.accounts) == ("high", "high", "A", 3)
    # 700k×0.7 + 800k×0.8 + 900k×0.9
    assert matrix.zone_expected_value["A"] == pytest.approx(490_000 + 640_000 + 810_000)
    assert matrix.cells[1][1].accounts == 3  # mid-mid
    assert matrix.cells[0][2].accounts == 0  # high-low is empty here
    with django_assert_max_num_queries(1):
        mine = team_matrix(snapshot, owner_id=strong_rep.pk)  # accounts 1, 3, 5, 7, 9
    assert mine.zone_accounts == {"A": 2, "B": 1, "C": 2}
    assert (mine.unzoned, mine.total) == (0, 5)


def test_the_rep_breakdown_splits_zones_per_owner(
    portfolio: dict[int, Account], strong_rep: Rep, developing_rep: Rep, django_assert_max_num_queries: Any
) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    with django_assert_max_num_queries(2):
        breakdown = rep_breakdown(snapshot)
    rows = {r.owner_id: r for r in breakdown}
    assert [r.owner for r in breakdown] == [developing_rep.name, strong_rep.name, None]  # by name, unowned last
    assert rows[strong_rep.pk].tier == "strong"
    assert rows[strong_rep.pk].zones == {"A": 2, "B": 1, "C": 2}  # 7, 9 / 5 / 1, 3
    assert rows[developing_rep.pk].zones == {"A": 1, "B": 2, "C": 1}  # 8 / 4, 6 / 2
    assert rows[developing_rep.pk].near_boundary == 2
    assert rows[strong_rep.pk].expected_value_a == pytest.approx(490_000 + 810_000)  # 7, 9
    assert rows[None].unzoned == 1


def test_the_scatter_samples_large_portfolios_and_keeps_small_ones_whole(portfolio: dict[int, Account]) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    whole = scatter_points(snapshot, zoned=9)
    assert (whole.total, whole.sampled, len(whole.points)) == (9, False, 9)
    sampled = scatter_points(snapshot, zoned=9, max_points=3)  # every 3rd account id
    assert sampled.sampled is True
    assert sorted(p.account_id for p in sampled.points) == sorted(
        portfolio[i].pk for i in range(1, 10) if portfolio[i].pk % 3 == 0
    )
    assert {p.zone for p in whole.points} == {"A", "B", "C"}
    nine = next(p for p in whole.points if p.account_id == portfolio[9].pk)
    assert (nine.unit_price, nine.win_probability, nine.expected_value) == (900_000, 0.9, 810_000)


def _move_accounts(portfolio: dict[int, Account]) -> None:
    # account 1 (C) jumps to the top, account 9 (A) falls to the bottom
    Deal.objects.filter(account=portfolio[1]).update(amount=Decimal(2_000_000), probability=95)
    Deal.objects.filter(account=portfolio[9]).update(amount=Decimal(10_000), probability=5)


def test_zone_moves_list_the_accounts_that_moved_up_or_down(
    portfolio: dict[int, Account], django_assert_max_num_queries: Any
) -> None:
    before = snapshot_create(actor=None, as_of=AS_OF)
    _move_accounts(portfolio)
    after = snapshot_create(actor=None, as_of=AS_OF)
    with django_assert_max_num_queries(2):
        moves = zone_moves(after, previous=before)
    moved = {r.account_external_id: (r.previous_zone, r.zone, r.direction) for r in moves.rows}
    assert moved["ACC-001"] == ("C", "A", "up")
    assert moved["ACC-009"] == ("A", "C", "down")
    assert [r.account_external_id for r in zone_moves(after, previous=before, direction="down").rows] == [
        r for r, v in moved.items() if v[2] == "down"
    ]
    assert zone_moves(before).total == 0  # nothing before the first snapshot


def test_zone_migration_counts_every_cell_and_lists_the_accounts_behind_it(
    portfolio: dict[int, Account], django_assert_max_num_queries: Any
) -> None:
    before = snapshot_create(actor=None, as_of=AS_OF)
    _move_accounts(portfolio)
    after = snapshot_create(actor=None, as_of=AS_OF)
    with django_assert_max_num_queries(1):
        migration = zone_migration(before, after)
    assert migration.counts["C"]["A"] >= 1
    assert migration.counts["A"]["C"] >= 1
    assert sum(sum(row.values()) for row in migration.counts.values()) == 10
    assert migration.counts[""][""] == 1
    cell = zone_migration_accounts(before, after, from_zone="C", to_zone="A")
    assert "ACC-001" in [r.account_external_id for r in cell.rows]
    assert cell.total == migration.counts["C"]["A"]
    assert Flow("C", "A", migration.counts["C"]["A"]) in migration.flows()


def test_an_accounts_zone_history_runs_oldest_first(portfolio: dict[int, Account], django_assert_max_num_queries: Any) -> None:
    snapshot_create(actor=None, as_of=date(2026, 5, 31))
    _move_accounts(portfolio)
    snapshot_create(actor=None, as_of=AS_OF)
    with django_assert_max_num_queries(1):
        history = account_zone_history(portfolio[1].pk)
    assert [(h.as_of, h.zone) for h in history] == [(date(2026, 5, 31), "C"), (AS_OF, "A")]
    assert history[0].unit_price == Decimal("100000.00")


def test_effort_vs_return_puts_minutes_and_won_revenue_per_zone(
    portfolio: dict[int, Account], strong_rep: Rep, django_assert_max_num_queries: Any
) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    Activity.objects.create(
        account=portfolio[9], rep=strong_rep, kind="visit", minutes=120, occurred_at=datetime(2026, 7, 3, 10, tzinfo=TOKYO)
    )
    Activity.objects.create(
        account=portfolio[1], rep=strong_rep, kind="call", minutes=60, occurred_at=datetime(2026, 7, 4, 10, tzinfo=TOKYO)
    )
    Activity.objects.create(
        account=portfolio[1], rep=strong_rep, kind="call", minutes=999, occurred_at=datetime(2026, 9, 1, 10, tzinfo=TOKYO)
    )
    Deal.objects.filter(account=portfolio[9]).update(status=Deal.Status.WON, closed_on=date(2026, 7, 20))
    # 2 sums + the company currency and its conversion rates (revenue converted; the page passes the
    # currency it already read, so it pays the rates alone).
    with django_assert_max_num_queries(4):
        table = {r.zone: r for r in effort_return(snapshot, start=date(2026, 7, 1), end=date(2026, 7, 31))}
    assert table["A"].minutes == 120
    assert table["A"].revenue == 900_000
    assert table["A"].revenue_per_hour == pytest.approx(450_000)
    assert table["A"].effort_share == pytest.approx(120 / 180)
    assert table["C"].minutes == 60
    assert table["C"].revenue_per_hour == 0
    per_rep = effort_return(snapshot, start=date(2026, 7, 1), end=date(2026, 7, 31), per_rep=True)
    assert {(r.rep_id, r.rep) for r in per_rep} == {(strong_rep.pk, strong_rep.name)}


def _won(account: Account, rep: Rep, key: str, amount: int, currency: str, closed_on: date) -> None:
    Deal.objects.create(
        external_id=key, account=account, owner=rep, amount=Decimal(amount), currency=currency,
        status=Deal.Status.WON, opened_on=closed_on, closed_on=closed_on,
    )  # fmt: skip


def test_effort_revenue_converts_a_currency_with_a_rate_and_leaves_out_the_others(
    portfolio: dict[int, Account], strong_rep: Rep, django_assert_max_num_queries: Any
) -> None:
    """June is stored with the snapshot (at the rates of when it was computed), July is read live (at today's)."""
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    _won(portfolio[7], strong_rep, "W-JP-JUN", 700_000, "JPY", date(2026, 6, 10))
    _won(portfolio[7], strong_rep, "W-US-JUN", 2_000, "USD", date(2026, 6, 11))
    _won(portfolio[9], strong_rep, "W-JP-JUL", 900_000, "JPY", date(2026, 7, 20))
    _won(portfolio[9], strong_rep, "W-US-JUL", 1_000, "USD", date(2026, 7, 21))
    _won(portfolio[9], strong_rep, "W-GB-JUL", 500, "GBP", date(2026, 7, 22))  # never a rate: always left out
    restore_summaries(snapshot)  # June's sums stored again, the new wins in them
    snapshot.refresh_from_db()
    assert snapshot.effort_from is not None
    assert snapshot.effort_from <= date(2026, 6, 1)

    def zone_a(**kw: Any) -> float:
        (a,) = [r.revenue for r in effort_return(snapshot, start=date(2026, 6, 1), end=date(2026, 7, 31), **kw) if r.zone == "A"]
        return a

    assert zone_a() == 700_000 + 900_000  # no rate: the USD wins left out, not added up as yen
    assert zone_a(per_rep=True) == 700_000 + 900_000
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    # The page passes the currency it read: the live days cost the two sums and the rates alone.
    with django_assert_max_num_queries(3 + 1):  # + the stored months' read
        assert zone_a(company="JPY") == pytest.approx(700_000 + 900_000 + 151_300)  # July live at today's rate
    restore_summaries(snapshot)  # computed again: June at today's rate too
    assert zone_a() == pytest.approx(700_000 + 302_600 + 900_000 + 151_300)
    tables = effort_tables(snapshot, start=date(2026, 6, 1), end=date(2026, 7, 31))
    assert sum(r.revenue for r in tables.team) == pytest.approx(sum(r.revenue for r in tables.per_rep))
    assert sum(r.revenue for r in tables.team) == pytest.approx(700_000 + 302_600 + 900_000 + 151_300)


def test_targets_show_won_pipeline_yomi_gap_and_the_zone_a_accounts_to_close_it(
    portfolio: dict[int, Account], strong_rep: Rep, django_assert_max_num_queries: Any
) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    Target.objects.create(rep=strong_rep, period_start=date(2026, 7, 1), period_end=date(2026, 9, 30), amount=Decimal(3_000_000))
    Deal.objects.filter(account=portfolio[1]).update(status=Deal.Status.WON, closed_on=date(2026, 7, 10))
    with django_assert_max_num_queries(7):  # five, and the company currency and its conversion rates
        view = targets_view(start=date(2026, 7, 1), end=date(2026, 9, 30), snapshot=snapshot)
    (row,) = view.reps
    assert (row.rep_id, row.rep) == (strong_rep.pk, strong_rep.name)
    assert row.won == 100_000
    # open deals closing in July for Tanaka: 3 (30 %), 5 (50 %), 7 (70 %), 9 (90 %)
    assert row.pipeline == 300_000 + 500_000 + 700_000 + 900_000
    assert row.weighted_pipeline == pytest.approx(90_000 + 250_000 + 490_000 + 810_000)
    assert row.yomi_high == 100_000 + 700_000 + 900_000  # ≥ 70 %
    assert row.yomi_mid == 100_000 + 700_000 + 900_000 + 500_000  # + 40-70 %
    assert row.gap == 2_900_000
    assert row.attainment == pytest.approx(100_000 / 3_000_000)
    # Tanaka's zone-A accounts by expected value: 9 (810k), 7 (490k): together still short of the gap
    assert [a.account_id for a in row.accounts] == [portfolio[9].pk, portfolio[7].pk]
    assert [a.cumulative_expected_value for a in row.accounts] == [810_000, 810_000 + 490_000]
    assert not any(a.covers_gap for a in row.accounts)
    assert (view.team.target, view.team.gap, view.team.reps_behind) == (3_000_000, 2_900_000, 1)


def test_targets_convert_deals_in_a_currency_with_a_rate_and_leave_out_the_others(
    portfolio: dict[int, Account], strong_rep: Rep
) -> None:
    Target.objects.create(rep=strong_rep, period_start=date(2026, 7, 1), period_end=date(2026, 7, 31), amount=Decimal(1_000_000))
    Deal.objects.filter(account=portfolio[1]).update(status=Deal.Status.WON, closed_on=date(2026, 7, 10))  # ¥100,000 won
    Deal.objects.create(
        external_id="D-US-WON", account=portfolio[1], owner=strong_rep, amount=Decimal(1000), currency="USD",
        status=Deal.Status.WON, opened_on=date(2026, 5, 1), closed_on=date(2026, 7, 11),
    )  # fmt: skip
    Deal.objects.filter(account=portfolio[3]).update(amount=Decimal(2000), currency="USD")  # open, 30 %
    Deal.objects.filter(account=portfolio[5]).update(currency="GBP")  # open, 50 %: no rate
    (before,) = targets_view(start=date(2026, 7, 1), end=date(2026, 7, 31)).reps
    assert before.won == 100_000  # without a rate the USD win is left out
    assert before.pipeline == 700_000 + 900_000
    ConversionRate.objects.create(currency="USD", rate=Decimal("151.3"))
    (row,) = targets_view(start=date(2026, 7, 1), end=date(2026, 7, 31)).reps
    assert row.won == pytest.approx(100_000 + 151_300)
    assert row.pipeline == pytest.approx(302_600 + 700_000 + 900_000)  # 2,000 × 151.3; the GBP deal left out
    assert row.weighted_pipeline == pytest.approx(0.3 * 302_600 + 0.7 * 700_000 + 0.9 * 900_000)
    assert row.gap == pytest.approx(1_000_000 - 251_300)


def test_the_pipeline_counts_open_deals_by_expected_close_date_not_closed_date(
    portfolio: dict[int, Account], strong_rep: Rep
) -> None:
    Target.objects.create(rep=strong_rep, period_start=date(2026, 7, 1), period_end=date(2026, 7, 31), amount=Decimal(1_000_000))
    Deal.objects.filter(account=portfolio[3]).update(expected_close_on=date(2026, 8, 3))  # moved to August
    Deal.objects.filter(account=portfolio[5]).update(expected_close_on=None)  # undated: in no period
    # No snapshot yet: unentered probabilities come from the default stage table.
    Deal.objects.filter(account=portfolio[7]).update(probability=None, stage="Negotiation")
    (row,) = targets_view(start=date(2026, 7, 1), end=date(2026, 7, 31)).reps
    assert row.rep_id == strong_rep.pk
    assert row.pipeline == 100_000 + 700_000 + 900_000  # Tanaka's deals 1, 7 and 9
    assert row.weighted_pipeline == pytest.approx(0.1 * 100_000 + 0.8 * 700_000 + 0.9 * 900_000)
    assert (row.yomi_won, row.yomi_high, row.yomi_mid) == (0, 1_600_000, 1_600_000)
    august = targets_view(start=date(2026, 8, 1), end=date(2026, 8, 31)).reps
    assert august == []  # no target in August, so no row, though deal 3 is expected then


def test_open_deal_dates_count_the_undated_and_the_overdue(
    portfolio: dict[int, Account], strong_rep: Rep, django_assert_num_queries: Any
) -> None:
    Deal.objects.filter(account=portfolio[5]).update(expected_close_on=None)
    Deal.objects.filter(account__in=[portfolio[2], portfolio[3]]).update(expected_close_on=date(2026, 6, 30))
    Deal.objects.filter(account=portfolio[4]).update(status=Deal.Status.WON, closed_on=date(2026, 6, 1))  # closed: not counted
    with django_assert_num_queries(1):
        counts = open_deal_dates(today=date(2026, 7, 1))
    assert counts == OpenDealDates(undated=1, overdue=2)
    assert open_deal_dates(today=date(2026, 7, 1), rep_ids=[strong_rep.pk]) == OpenDealDates(undated=1, overdue=1)
    assert open_deal_dates(today=date(2026, 6, 30)) == OpenDealDates(undated=1, overdue=0)


def test_a_criteria_preview_counts_the_accounts_a_change_would_move(portfolio: dict[int, Account]) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    stricter = CriteriaSpec(price=AxisRule("absolute", 500_000, 850_000), probability=AxisRule("absolute", 0.5, 0.85))
    preview = criteria_preview(stricter, snapshot=snapshot)
    assert preview is not None
    moves = preview.moves
    # new: 9 high-high A; 8, 7 mid-mid B; 6, 5 mid-mid B; 1-4 low-low C
    assert moves["A"]["A"] == 1
    assert moves["A"]["B"] == 2
    assert moves["B"]["C"] == 1  # account 4
    assert moves["B"]["B"] == 2
    assert moves[""][""] == 1
    assert (preview.total, preview.moved) == (10, 3)
    assert (preview.new.price_low, preview.new.price_high) == (500_000, 850_000)


def test_rows_keep_the_owner_at_the_time_of_the_snapshot(portfolio: dict[int, Account], developing_rep: Rep) -> None:
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    Account.objects.filter(pk=portfolio[1].pk).update(owner=developing_rep)
    assert SnapshotRow.objects.get(snapshot=snapshot, account=portfolio[1]).owner != developing_rep
