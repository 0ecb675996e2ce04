"""On a demo read back from the database (both databases), how often the suggestion recovers the planted type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pytest
from django.db import transaction

from kokyaku.buyers import services
from kokyaku.buyers.frames import behaviour_frames
from kokyaku.demo.services import demo_load
from kokyaku.domain.buyer_types import History, suggest_buyer_types

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def big_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """1,500 accounts of seed 7 loaded through the demo loader, rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo_load(actor=None, accounts=1500, seed=7, as_of=AS_OF)
        yield
        transaction.set_rollback(True)


def test_read_back_from_the_database_the_rules_recover_the_planted_type(big_demo: None) -> None:
    """The loader's key persons, objections and products survive the database: ≥ 70% recovered (chance: 25%)."""
    frames = behaviour_frames()
    assert len(frames.key_persons) > len(frames.accounts)  # the loader wrote key persons
    assert len(frames.objections) > 0
    assert frames.products["service"].sum() == 2
    features = frames.features(AS_OF)
    planted = frames.accounts["buyer_type"].to_numpy(dtype=object)
    enough = History().enough(features) & (planted != "unknown")
    suggested = suggest_buyer_types(features).buyer_type
    accuracy = float((suggested[enough] == planted[enough]).mean())
    assert enough.sum() > 600
    assert accuracy >= 0.70, accuracy
    # the stored suggestions agree with the same figure, and the command's report says so
    result = services.suggestions_compute(actor=None, as_of=AS_OF)
    assert result.report["accounts"] == len(planted)
    assert result.report["agreement"] is not None
    assert result.report["agreement"] > 0.8
    assert np.isclose(sum(sum(r.values()) for r in result.report["confusion"].values()), len(planted))
