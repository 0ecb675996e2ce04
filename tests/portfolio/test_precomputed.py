"""Issue 18: figures counted when a snapshot is made equal the live computation (SQLite and PostgreSQL).

A snapshot stores the zone migration per owner against the snapshot just before it
(``SnapshotMigration``); home and review read it instead of joining both snapshots' rows. Any
other pair of snapshots, or a snapshot made before the counts were stored, is counted live.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from kokyaku.portfolio import selectors
from kokyaku.portfolio.models import Snapshot, SnapshotMigration
from kokyaku.portfolio.services import snapshot_create, snapshot_delete
from tests.portfolio.pages_demo import NOW, Demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _live(snapshot: Snapshot) -> Snapshot:
    """The same snapshot as if nothing had been stored with it (the readers then count live)."""
    unstored = copy.copy(snapshot)
    unstored.migration_previous_id = None
    return unstored


def test_a_snapshot_stores_its_migration_against_the_one_before(demo: Demo) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    assert after.migration_previous_id == demo.before.pk
    stored = SnapshotMigration.objects.filter(snapshot=after, previous=demo.before)
    assert sum(stored.values_list("accounts", flat=True)) == after.account_count
    assert Snapshot.objects.get(pk=demo.before.pk).migration_previous_id is None  # nothing before it


def test_stored_migration_equals_the_live_count(demo: Demo) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    stored = selectors.zone_migration(demo.before, after)
    live = selectors.zone_migration(demo.before, _live(after))
    assert stored.counts == live.counts
    assert sum(n for row in stored.counts.values() for n in row.values()) == after.account_count
    assert any(n for f, row in stored.counts.items() for t, n in row.items() if f != t)  # the demo has moves


def test_stored_move_counts_and_totals_equal_the_live_ones(demo: Demo) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    up, down = selectors.zone_move_counts(after, demo.before)
    assert (up, down) == selectors.zone_move_counts(_live(after), demo.before)
    assert up > 0
    assert down > 0
    owners = {demo.rep.pk, demo.rep2.pk, *SnapshotMigration.objects.filter(snapshot=after).values_list("owner_id", flat=True)}
    for owner in owners:
        counts = selectors.zone_move_counts(after, demo.before, owner_id=owner)
        assert counts == selectors.zone_move_counts(_live(after), demo.before, owner_id=owner)
        for direction in (None, "up", "down"):
            stored = selectors.zone_moves(after, previous=demo.before, direction=direction, owner_id=owner)
            live = selectors.zone_moves(_live(after), previous=demo.before, direction=direction, owner_id=owner)
            assert stored.total == live.total
            assert [r.account_id for r in stored.rows] == [r.account_id for r in live.rows]


def test_another_pair_or_an_unstored_snapshot_is_counted_live(demo: Demo) -> None:
    # A snapshot made between the two: the later one's stored counts are against the earlier, not it.
    between = snapshot_create(actor=None, as_of=demo.before.as_of.replace(day=30, month=9))
    between = Snapshot.objects.get(pk=between.pk)
    after = Snapshot.objects.get(pk=demo.after.pk)
    assert between.migration_previous_id == demo.before.pk
    assert after.migration_previous_id == demo.before.pk
    assert selectors.zone_migration(between, after).counts == selectors.zone_migration(between, _live(after)).counts
    assert selectors.zone_move_counts(after, between) == selectors.zone_move_counts(_live(after), between)
    # Deleting the snapshot counted against drops its counts and the link: the rest is counted live.
    snapshot_delete(actor=None, snapshot=between)
    before_counts = selectors.zone_migration(demo.before, after).counts
    assert Snapshot.objects.get(pk=after.pk).migration_previous_id == demo.before.pk
    assert not SnapshotMigration.objects.filter(previous_id=between.pk).exists()
    assert before_counts == selectors.zone_migration(demo.before, _live(after)).counts


def test_the_move_totals_are_stored_on_the_snapshot_and_read_without_a_query(demo: Demo, django_assert_num_queries: Any) -> None:
    after = Snapshot.objects.get(pk=demo.after.pk)
    live = selectors.zone_move_counts(_live(after), demo.before)
    assert live[0] > 0
    assert live[1] > 0
    assert (after.moves_up, after.moves_down) == live  # summed in the statement that counted the migration
    with django_assert_num_queries(0):
        assert selectors.zone_move_counts(after, demo.before) == live
    # Per owner they still come from the stored rows (one query each), as before.
    mine = selectors.zone_move_counts(_live(after), demo.before, owner_id=demo.rep.pk)
    with django_assert_num_queries(1):
        assert selectors.zone_move_counts(after, demo.before, owner_id=demo.rep.pk) == mine
    assert (Snapshot.objects.get(pk=demo.before.pk).moves_up, Snapshot.objects.get(pk=demo.before.pk).moves_down) == (None, None)


def test_the_migration_fills_in_the_move_totals_of_kept_snapshots(demo: Demo) -> None:
    import importlib

    from django.db import connection

    fill_in = importlib.import_module("kokyaku.portfolio.migrations.0012_snapshot_move_totals").fill_in
    after = Snapshot.objects.get(pk=demo.after.pk)
    Snapshot.objects.filter(pk=after.pk).update(moves_up=None, moves_down=None)
    fill_in(None, SimpleNamespace(connection=connection))  # it only reads the editor's connection
    filled = Snapshot.objects.get(pk=after.pk)
    assert (filled.moves_up, filled.moves_down) == (after.moves_up, after.moves_down) != (None, None)
    assert Snapshot.objects.get(pk=demo.before.pk).moves_up is None  # nothing counted against: stays unknown
