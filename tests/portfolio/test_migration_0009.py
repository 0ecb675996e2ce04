"""Migration portfolio 0009 on a database with snapshots: it fills in what new snapshots store (issue 18).

Each row's zone in the snapshot before, the effort sums and the team grid of every kept snapshot
come out as ``snapshot_create`` writes them today (the same figures the pages read).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kokyaku.portfolio.models import EffortMonth, Snapshot, SnapshotRow
from tests.portfolio.pages_demo import NOW, load_demo

BEFORE_0009 = ("portfolio", "0008_snapshot_migration_counts")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _stored() -> dict[str, Any]:
    return {
        "zones": sorted(SnapshotRow.objects.values_list("snapshot_id", "account_id", "zone_before")),
        "effort": sorted(
            EffortMonth.objects.values_list("snapshot_id", "kind", "per_rep", "rep_id", "zone", "month", "minutes", "revenue"),
            key=str,
        ),
        "snapshots": sorted(Snapshot.objects.values_list("id", "effort_from", "matrix_cells"), key=str),
    }


def test_migration_0009_fills_in_what_a_new_snapshot_stores(transactional_db: None) -> None:
    load_demo(accounts=60)
    made = _stored()
    assert any(z is not None for _s, _a, z in made["zones"])
    assert made["effort"]
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_0009])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert _stored() == made
