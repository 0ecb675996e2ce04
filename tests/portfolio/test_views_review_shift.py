"""Review across a criteria change: the earlier snapshot re-read with the new criteria, movement apart from re-classification."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import time_machine
from django.urls import reverse

from kokyaku.crm.models import Rep
from kokyaku.domain.portfolio import split_criteria_shift
from kokyaku.portfolio import selectors
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.services import criteria_create, snapshot_create
from tests.portfolio.pages_demo import AS_OF, NOW, Demo, demo_client

pytestmark = pytest.mark.django_db


def test_the_split_tells_a_criteria_change_from_movement() -> None:
    grid = {
        "high": {"high": "A", "mid": "A", "low": "B"},
        "mid": {"high": "A", "mid": "B", "low": "C"},
        "low": {"high": "B", "mid": "C", "low": "C"},
    }
    cutoffs = {"price_low": 100.0, "price_high": 200.0, "probability_low": 0.3, "probability_high": 0.6}
    # 0: re-classified only (was C under the old cut-offs, B under the new on the same figures), did not move
    # 1: same zone both ways; 2: really moved (its probability rose); 3: no figures: unzoned throughout
    split = split_criteria_shift(
        ["C", "B", "B", ""], [150, 150, 150, np.nan], [0.4, 0.4, 0.4, np.nan], ["B", "B", "A", ""],
        cutoffs=cutoffs, grid=grid,
    )  # fmt: skip
    assert list(split.regraded) == ["B", "B", "B", ""]
    assert list(split.reclassified) == [True, False, False, False]
    assert list(split.moved) == [False, False, True, False]


def test_unchanged_figures_never_count_as_movement_even_inside_a_quantile_tie() -> None:
    cutoffs = {"price_low": 100.0, "price_high": 100.0001, "probability_low": 0.5, "probability_high": 0.6}
    grid = {b: dict.fromkeys(("high", "mid", "low"), "C" if b == "low" else "A") for b in ("high", "mid", "low")}
    # a rank cut put one of two tied accounts (price 100) low and one high; a threshold would put both in one band
    split = split_criteria_shift(
        ["B", "B"], [100.0, 100.0], [0.55, 0.55], ["C", "A"], later_values=([100.0, 100.0], [0.55, 0.55]),
        cutoffs=cutoffs, grid=grid,
    )  # fmt: skip
    assert not split.moved.any()
    assert list(split.reclassified) == [True, True]


def _recompute_with_new_criteria() -> Snapshot:
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        criteria_create(actor=None, price_mode="absolute", price_low=300_000, price_high=3_000_000)
        return snapshot_create(actor=None, as_of=AS_OF)


def test_same_day_snapshots_under_new_criteria_show_re_classification_and_no_movement(demo: Demo) -> None:
    new = _recompute_with_new_criteria()
    shift = selectors.criteria_shift(demo.after, new)
    assert shift is not None
    raw = selectors.zone_moves(new, previous=demo.after).total
    assert raw > 0  # the old review would list these as moves
    assert (shift.moved, shift.reclassified) == (0, raw)
    query = {"before": demo.after.pk, "after": new.pk}
    page = demo_client("manager").get(reverse("portfolio:review"), query, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert 'data-testid="criteria-changed"' in html
    assert "0 accounts really moved" in html
    assert f"{raw} accounts changed zone only because the criteria changed" in html


def test_across_dates_and_criteria_the_lists_add_up_and_the_rep_filter_narrows_them(demo: Demo) -> None:
    new = _recompute_with_new_criteria()
    shift = selectors.criteria_shift(demo.before, new)
    assert shift is not None
    assert shift.moved > 0
    assert shift.reclassified > 0
    both = SnapshotRow.objects.filter(
        snapshot=new, account_id__in=SnapshotRow.objects.filter(snapshot=demo.before).values("account_id")
    )
    assert shift.compared == both.count()
    mine = selectors.criteria_shift(demo.before, new, owner_id=demo.rep.pk, shown="reclassified")
    assert mine is not None
    assert mine.compared == both.filter(owner_id=demo.rep.pk).count() < shift.compared
    assert all(r.owner_id == demo.rep.pk and r.previous_zone != r.zone for r in mine.rows.rows)
    client = demo_client("manager")
    html = client.get(
        reverse("portfolio:review"), {"after": str(new.pk), "owner": str(demo.rep.pk), "list": "reclassified"}
    ).content.decode()
    assert f'name="owner" value="{demo.rep.pk}"' in html  # the picked rep in the search box (no option per rep)
    assert f'value="{demo.rep.name}"' in html
    assert html.count('class="move move-') == min(mine.reclassified, 50)


def test_the_default_span_is_the_previous_month_end(demo: Demo) -> None:
    later = Snapshot.objects.filter(pk=snapshot_create(actor=None, as_of=AS_OF - timedelta(days=5)).pk).get()
    # 2026-11-15 and 2026-11-20 both lie after the previous month-end (2026-10-31): the default "from" is 2026-08-31
    html = demo_client("manager").get(reverse("portfolio:review")).content.decode()
    assert f'<option value="{demo.before.pk}" selected>' in html
    assert f'<option value="{later.pk}" selected>' not in html
    assert Rep.objects.exists()
