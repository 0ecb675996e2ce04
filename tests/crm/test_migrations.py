"""The data step of crm 0004: open deals' close dates move to ``expected_close_on`` and back."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kokyaku.crm.models import Account, Deal, Rep

migration = importlib.import_module("kokyaku.crm.migrations.0004_deal_expected_close_on")


@pytest.fixture
def deals(strong_rep: Rep) -> dict[str, Deal]:
    account = Account.objects.create(external_id="ACC-M", name="Mori Shoji", owner=strong_rep)

    def deal(key: str, status: str, closed_on: date | None) -> Deal:
        return Deal.objects.create(
            external_id=key, account=account, owner=strong_rep, amount=Decimal(1000), status=status,
            opened_on=date(2026, 1, 5), closed_on=closed_on,
        )  # fmt: skip

    return {
        "open_dated": deal("D-open-dated", Deal.Status.OPEN, date(2026, 6, 30)),
        "open_undated": deal("D-open-undated", Deal.Status.OPEN, None),
        "won": deal("D-won", Deal.Status.WON, date(2026, 3, 1)),
        "lost": deal("D-lost", Deal.Status.LOST, date(2026, 2, 1)),
    }


def _dates() -> dict[str, tuple[date | None, date | None]]:
    return {
        ext: (closed, expected)
        for ext, closed, expected in Deal.objects.values_list("external_id", "closed_on", "expected_close_on")
    }


def test_it_moves_open_deals_close_dates_to_expected_close_on_in_one_update(deals: dict[str, Deal]) -> None:
    with CaptureQueriesContext(connection) as ctx:
        migration.move_open_close_dates(apps, None)
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["UPDATE"]
    assert _dates() == {
        "D-open-dated": (None, date(2026, 6, 30)),
        "D-open-undated": (None, None),
        "D-won": (date(2026, 3, 1), None),
        "D-lost": (date(2026, 2, 1), None),
    }


def test_it_moves_the_dates_back_when_unapplied(deals: dict[str, Deal]) -> None:
    before = _dates()
    migration.move_open_close_dates(apps, None)
    with CaptureQueriesContext(connection) as ctx:
        migration.restore_open_close_dates(apps, None)
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["UPDATE"]
    # expected_close_on is dropped right after this step, so only closed_on has to be as it was.
    assert {ext: closed for ext, (closed, _expected) in _dates().items()} == {ext: c for ext, (c, _e) in before.items()}
