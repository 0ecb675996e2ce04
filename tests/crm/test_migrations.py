"""The data step of crm 0004: open deals' close dates move to ``expected_close_on`` and back."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

migration = importlib.import_module("kokyaku.crm.migrations.0004_deal_expected_close_on")
AFTER_0004 = ("crm", "0005_deal_won_cover_owner")  # before 0006's rule that open deals have no closed date


@pytest.fixture
def schema_0005(transactional_db: None) -> Iterator[Any]:
    """The database at crm 0005, where an open deal could still carry a closed date; migrated back to the latest after."""
    executor = MigrationExecutor(connection)
    executor.migrate([AFTER_0004])
    historical = executor.loader.project_state([AFTER_0004]).apps
    yield historical
    historical.get_model("crm", "Deal").objects.all().delete()  # the latest schema refuses what these tests made
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def migrated_deals(schema_0005: Any) -> dict[str, Any]:
    deal_model, account_model, rep_model = (schema_0005.get_model("crm", m) for m in ("Deal", "Account", "Rep"))
    rep = rep_model.objects.create(external_id="R-M", name="Mori", tier="strong")
    account = account_model.objects.create(external_id="ACC-M", name="Mori Shoji", owner=rep)

    def deal(key: str, status: str, closed_on: date | None) -> Any:
        return deal_model.objects.create(
            external_id=key, account=account, owner=rep, amount=Decimal(1000), status=status,
            opened_on=date(2026, 1, 5), closed_on=closed_on,
        )  # fmt: skip

    return {
        "open_dated": deal("D-open-dated", "open", date(2026, 6, 30)),
        "open_undated": deal("D-open-undated", "open", None),
        "won": deal("D-won", "won", date(2026, 3, 1)),
        "lost": deal("D-lost", "lost", date(2026, 2, 1)),
    }


def _dates(historical: Any) -> dict[str, tuple[date | None, date | None]]:
    return {
        ext: (closed, expected)
        for ext, closed, expected in historical.get_model("crm", "Deal").objects.values_list(
            "external_id", "closed_on", "expected_close_on"
        )
    }


def test_it_moves_open_deals_close_dates_to_expected_close_on_in_one_update(
    migrated_deals: dict[str, Any], schema_0005: Any
) -> None:
    with CaptureQueriesContext(connection) as ctx:
        migration.move_open_close_dates(schema_0005, None)
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["UPDATE"]
    assert _dates(schema_0005) == {
        "D-open-dated": (None, date(2026, 6, 30)),
        "D-open-undated": (None, None),
        "D-won": (date(2026, 3, 1), None),
        "D-lost": (date(2026, 2, 1), None),
    }


def test_it_moves_the_dates_back_when_unapplied(migrated_deals: dict[str, Any], schema_0005: Any) -> None:
    before = _dates(schema_0005)
    migration.move_open_close_dates(schema_0005, None)
    with CaptureQueriesContext(connection) as ctx:
        migration.restore_open_close_dates(schema_0005, None)
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["UPDATE"]
    # expected_close_on is dropped right after this step, so only closed_on has to be as it was.
    assert {ext: closed for ext, (closed, _expected) in _dates(schema_0005).items()} == {
        ext: c for ext, (c, _e) in before.items()
    }
