"""Review across a criteria change: the earlier snapshot re-read with the later criteria, movement apart from
re-classification."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from kokyaku.domain.portfolio import split_criteria_shift
from kokyaku.domain.portfolio.review import ZONE_RANK
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors.rows import Page, RowPage, paging, rows_of

ShiftList = Literal["moved", "reclassified"]


@dataclass(frozen=True)
class CriteriaShift:
    """Two snapshots under different criteria: how many accounts the criteria change re-classified,
    how many really moved (the earlier snapshot re-read with the later criteria), and a page of one list.

    In ``rows`` of the "moved" list, ``previous_zone`` is the earlier zone re-read with the later
    criteria; in the "reclassified" list, ``previous_zone`` is the earlier zone as computed then and
    ``zone`` the same account's zone re-read with the later criteria.
    """

    before: Snapshot
    after: Snapshot
    compared: int  # accounts in both snapshots (of the owner asked for)
    reclassified: int
    moved: int
    moved_up: int
    shown: ShiftList
    rows: RowPage

    @property
    def moved_down(self) -> int:
        return self.moved - self.moved_up


def criteria_differ(before: Snapshot, after: Snapshot) -> bool:
    """True when the two snapshots were computed under criteria that classify differently."""
    if before.criteria_id == after.criteria_id:
        return False
    return bool(before.criteria.as_params() != after.criteria.as_params())


def _frame(snapshot: Snapshot) -> pd.DataFrame:
    fields = ["account_id", "zone", "unit_price", "win_probability", "owner_id", "expected_value"]
    frame = pd.DataFrame.from_records(list(SnapshotRow.objects.filter(snapshot=snapshot).values_list(*fields)), columns=fields)
    for column in ("unit_price", "win_probability", "expected_value", "owner_id"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame.set_index("account_id")


def criteria_shift(
    before: Snapshot,
    after: Snapshot,
    *,
    owner_id: int | None = None,
    shown: ShiftList = "moved",
    page: int = 1,
    per_page: int = 50,
) -> CriteriaShift | None:
    """Split the zone changes between ``before`` and ``after`` into re-classification and movement.

    None when both were computed under the same criteria (every change is then movement: the
    review's own lists). Otherwise the earlier snapshot's unit prices and probabilities are cut with
    the later snapshot's resolved cut-offs and grid (:func:`~kokyaku.domain.portfolio.split_criteria_shift`).
    Accounts in only one snapshot are neither. ``owner_id`` keeps the accounts that rep owns in
    ``after``. Four queries: the two snapshots' values, then the page's rows.
    """
    if not criteria_differ(before, after):
        return None
    earlier, later = _frame(before), _frame(after)
    later = later[later.index.isin(earlier.index)]
    if owner_id is not None:
        later = later[later["owner_id"] == owner_id]
    earlier = earlier.loc[later.index]
    split = split_criteria_shift(
        earlier["zone"].to_numpy(dtype=object), earlier["unit_price"].to_numpy(), earlier["win_probability"].to_numpy(),
        later["zone"].to_numpy(dtype=object), later_values=(later["unit_price"].to_numpy(), later["win_probability"].to_numpy()),
        cutoffs=dict(after.thresholds or {}), grid=after.criteria.grid,
    )  # fmt: skip
    regraded = pd.Series(split.regraded, index=later.index)
    moved_up = int((split.moved & (later["zone"].map(ZONE_RANK).to_numpy() < regraded.map(ZONE_RANK).to_numpy())).sum())
    mask = split.moved if shown == "moved" else split.reclassified
    chosen = later[mask].assign(ev=lambda f: f["expected_value"].fillna(-np.inf))
    ids = [int(i) for i in chosen.sort_values(["ev"], ascending=False, kind="stable").index]
    total = len(ids)
    page, per_page, start = paging(total, page, per_page)
    page_ids = ids[start : start + per_page]
    source = after if shown == "moved" else before
    by_id = {r.account_id: r for r in rows_of(SnapshotRow.objects.filter(snapshot=source, account_id__in=page_ids))}
    if shown == "moved":
        rows = [replace(by_id[i], previous_zone=str(regraded[i])) for i in page_ids if i in by_id]
    else:
        rows = [replace(by_id[i], previous_zone=by_id[i].zone, zone=str(regraded[i])) for i in page_ids if i in by_id]
    return CriteriaShift(
        before=before, after=after, compared=len(later), reclassified=int(split.reclassified.sum()),
        moved=int(split.moved.sum()), moved_up=moved_up, shown=shown, rows=Page(rows, total, page, per_page),
    )  # fmt: skip
