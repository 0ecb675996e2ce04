"""The criteria page: what a proposed change would do to the latest snapshot, and the cut-offs rules resolve to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import FloatField
from django.db.models.functions import Cast

from kokyaku.domain.portfolio import ZONES, AxisRule, CriteriaSpec, Thresholds, criteria_change_matrix, resolve_thresholds
from kokyaku.portfolio.models import Snapshot, SnapshotRow
from kokyaku.portfolio.selectors.snapshots import snapshot_bounds, snapshot_latest, snapshot_scan

ZONE_LABELS: tuple[str, ...] = (*ZONES, "")  # "" is unzoned


@dataclass(frozen=True)
class CriteriaPreview:
    """What a criteria change would do to a snapshot: the from × to moves and the cut-offs before and after."""

    snapshot: Snapshot
    moves: dict[str, dict[str, int]]  # zone now -> zone with the change -> accounts ("" is unzoned)
    now: Thresholds  # the current criteria's cut-offs on the snapshot's values
    new: Thresholds  # the proposed criteria's cut-offs on the same values

    @property
    def moved(self) -> int:
        return sum(n for f, row in self.moves.items() for t, n in row.items() if f != t)

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.moves.values())


def _snapshot_values(snapshot: Snapshot) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return a snapshot's unit prices and probabilities as two float arrays (NaN when missing): one query.

    In no order (``order_by()``: the model's default order joined the accounts and sorted every
    row, 0.4-0.9 s at 100,000 accounts) and read as floats by the database.
    """
    values = snapshot_scan(snapshot).order_by().values_list(Cast("unit_price", FloatField()), "win_probability")
    arr = np.array(list(values), dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def criteria_preview(
    new: CriteriaSpec, *, snapshot: Snapshot | None = None, current: CriteriaSpec | None = None
) -> CriteriaPreview | None:
    """Re-cut the latest snapshot's values with ``new``: the moves and both sets of cut-offs; None without a snapshot.

    ``current`` defaults to the snapshot's own criteria. The cut-offs are what quantile rules
    resolve to (the yen and percent values behind "high" and "low"). One query for the values.
    """
    snapshot = snapshot or snapshot_latest()
    if snapshot is None:
        return None
    price, probability = _snapshot_values(snapshot)
    old = current or snapshot.criteria.to_spec()
    counts = criteria_change_matrix(price, probability, old, new).reindex(index=ZONE_LABELS, columns=ZONE_LABELS).to_numpy()
    moves = {f: {t: int(counts[i, j]) for j, t in enumerate(ZONE_LABELS)} for i, f in enumerate(ZONE_LABELS)}
    return CriteriaPreview(
        snapshot=snapshot,
        moves=moves,
        now=resolve_thresholds(price, probability, old),
        new=resolve_thresholds(price, probability, new),
    )


def _stored_axis(rule: AxisRule, used: AxisRule, low: Any, high: Any) -> tuple[float, float] | None:
    """One axis's cut-offs without reading the rows: a fixed rule's values, or the snapshot's own cut (same rule)."""
    if rule.mode == "absolute":
        return float(rule.low), float(rule.high)
    if rule == used:
        return (float("nan") if low is None else float(low)), (float("nan") if high is None else float(high))
    return None


def _database_quantiles(snapshot: Snapshot, column: str, rule: AxisRule) -> tuple[float, float]:
    """One axis's quantile cut-offs computed by PostgreSQL over the snapshot's rows: two numbers come back, not a million.

    ``percentile_cont`` interpolates between the two nearest values at position (n − 1) × q, as
    ``numpy.quantile`` (its default, "linear") does, over the finite values only: the same cut-offs
    as :func:`~kokyaku.domain.portfolio.resolve_axis` on the values read out (to the last bits of a float).
    """
    lo, hi = snapshot_bounds(snapshot)
    value = f"{column}::float8"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT percentile_cont(ARRAY[%s, %s]::float8[]) WITHIN GROUP (ORDER BY {value})"  # noqa: S608 (a column name)
            f" FROM {SnapshotRow._meta.db_table} WHERE snapshot_id = %s AND id BETWEEN %s AND %s"
            f" AND {value} > '-Infinity'::float8 AND {value} < 'Infinity'::float8",
            [float(rule.low), float(rule.high), snapshot.pk, lo, hi],
        )
        row = cursor.fetchone()
    cut = row[0] if row else None
    if not cut:
        return float("nan"), float("nan")
    return float(cut[0]), float(cut[1])


def criteria_cutoffs(spec: CriteriaSpec, *, snapshot: Snapshot) -> Thresholds:
    """Return the cut-offs ``spec`` gives on ``snapshot``'s unit prices and probabilities.

    No query when each axis is fixed (absolute) or cut by the same rule as the snapshot's own
    criteria: those are the cut-offs the snapshot stored when it was made (``Snapshot.thresholds``,
    computed on its unrounded unit prices; the rows keep them to the yen's hundredth). Otherwise the
    quantiles are computed over the snapshot's rows: by PostgreSQL (one query per axis, the values
    stay in the database), elsewhere on the values read out (one query).
    """
    used = snapshot.criteria.to_spec()
    t = snapshot.thresholds or {}
    price = _stored_axis(spec.price, used.price, t.get("price_low"), t.get("price_high"))
    probability = _stored_axis(spec.probability, used.probability, t.get("probability_low"), t.get("probability_high"))
    if price is not None and probability is not None:
        return Thresholds(*price, *probability)
    if connection.vendor == "postgresql":
        price = price or _database_quantiles(snapshot, "unit_price", spec.price)
        probability = probability or _database_quantiles(snapshot, "win_probability", spec.probability)
        return Thresholds(*price, *probability)
    prices, probabilities = _snapshot_values(snapshot)
    live = resolve_thresholds(prices, probabilities, spec)
    return Thresholds(
        *(price or (live.price_low, live.price_high)), *(probability or (live.probability_low, live.probability_high))
    )
