"""The criteria page: what a proposed change would do to the latest snapshot, and the cut-offs rules resolve to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import BooleanField, F, FloatField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from kokyaku.domain.portfolio import ZONES, AxisRule, CriteriaSpec, Thresholds, criteria_change_matrix, resolve_thresholds
from kokyaku.portfolio.models import Snapshot, SnapshotCutoff, SnapshotRow
from kokyaku.portfolio.selectors.snapshots import snapshot_bounds, snapshot_latest, snapshot_scan

ZONE_LABELS: tuple[str, ...] = (*ZONES, "")  # "" is unzoned


@dataclass(frozen=True)
class CriteriaPreview:
    """What a criteria change would do to a snapshot: the from × to moves and the cut-offs before and after."""

    snapshot: Snapshot
    moves: dict[str, dict[str, int]]  # zone now -> zone with the change -> accounts ("" is unzoned)
    now: Thresholds  # the current criteria's cut-offs on the snapshot's values
    new: Thresholds  # the proposed criteria's cut-offs on the same values
    sample: int = 0  # 0: every account classified; else the moves are estimated from this many (every ``step``-th row)
    step: int = 1
    # The axes ("price", "probability") whose cut-offs are estimated from the sample, in ``now`` and in ``new``.
    now_estimated: frozenset[str] = frozenset()
    new_estimated: frozenset[str] = frozenset()

    @property
    def moved(self) -> int:
        return sum(n for f, row in self.moves.items() for t, n in row.items() if f != t)

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.moves.values())


def _snapshot_values(snapshot: Snapshot, step: int = 1) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return a snapshot's unit prices and probabilities as two float arrays (NaN when missing): one query.

    In no order (``order_by()``: the model's default order joined the accounts and sorted every
    row, 0.4-0.9 s at 100,000 accounts) and read as floats by the database. ``step`` > 1: only
    every ``step``-th row of the snapshot's id range (a systematic sample). On PostgreSQL the sample
    is read by primary-key lookups (``id = ANY(ARRAY(SELECT generate_series(lo, hi, step)))``: an
    index scan probing about ``(hi - lo) / step`` ids), not by filtering every row of the range
    (``(id - lo) % step = 0`` read all million rows at a million accounts: 0.56 s). Elsewhere
    (SQLite: small databases) the filter.
    """
    rows = snapshot_scan(snapshot).order_by()
    if step > 1:
        lo, hi = snapshot_bounds(snapshot)
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(SnapshotRow._meta.db_table)
            probe = RawSQL(  # noqa: S611 (a quoted table name; the numbers are parameters)
                f"{table}.id = ANY(ARRAY(SELECT generate_series(%s::bigint, %s::bigint, %s::bigint)))",
                (lo, hi, step),
                output_field=BooleanField(),
            )
            rows = rows.filter(probe)
        else:
            rows = rows.annotate(_nth=(F("id") - lo) % step).filter(_nth=0)
    values = rows.values_list(Cast("unit_price", FloatField()), "win_probability")
    arr = np.array(list(values), dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


# Above this many accounts the preview estimates the moves from a systematic sample of about
# PREVIEW_SAMPLE rows, and a quantile cut-off the snapshot did not store from the same sample:
# classifying a million accounts twice per keystroke took 8 s at a million (2.9 s of it CPU in this
# process), and percentile_cont sorting a million values for an exact cut-off 1.0 s.
PREVIEW_EXACT_UP_TO = 200_000
PREVIEW_SAMPLE = 100_000


def criteria_preview(
    new: CriteriaSpec, *, snapshot: Snapshot | None = None, current: CriteriaSpec | None = None
) -> CriteriaPreview | None:
    """Re-cut the latest snapshot's values with ``new``: the moves and both sets of cut-offs; None without a snapshot.

    ``current`` defaults to the snapshot's own criteria. The cut-offs are what quantile rules
    resolve to (the yen and percent values behind "high" and "low"). One query for the values.
    Above ``PREVIEW_EXACT_UP_TO`` accounts the moves are an estimate: every k-th row of the snapshot
    (about ``PREVIEW_SAMPLE``) is classified under both criteria (quantile rules cut the sample by
    rank, as they would the whole) and each count scaled by accounts / sample, rounded (``sample``
    and ``step`` say so). Its cut-offs stay exact where no rows are needed (a fixed rule, or the
    rule the snapshot was cut by: stored with it); any other quantile cut-off is the sample's own
    quantile, an estimate (``now_estimated`` / ``new_estimated`` name those axes).
    """
    snapshot = snapshot or snapshot_latest()
    if snapshot is None:
        return None
    old = current or snapshot.criteria.to_spec()
    accounts = int(snapshot.account_count or 0)
    step = -(-accounts // PREVIEW_SAMPLE) if accounts > PREVIEW_EXACT_UP_TO else 1
    price, probability = _snapshot_values(snapshot, step)
    counts = criteria_change_matrix(price, probability, old, new).reindex(index=ZONE_LABELS, columns=ZONE_LABELS).to_numpy()
    if step == 1:
        moves = {f: {t: int(counts[i, j]) for j, t in enumerate(ZONE_LABELS)} for i, f in enumerate(ZONE_LABELS)}
        now, cut = resolve_thresholds(price, probability, old), resolve_thresholds(price, probability, new)
        return CriteriaPreview(snapshot=snapshot, moves=moves, now=now, new=cut)
    scale = accounts / max(len(price), 1)
    moves = {f: {t: round(int(counts[i, j]) * scale) for j, t in enumerate(ZONE_LABELS)} for i, f in enumerate(ZONE_LABELS)}
    now, now_estimated = _sampled_cutoffs(old, snapshot, price, probability)
    cut, new_estimated = _sampled_cutoffs(new, snapshot, price, probability)
    return CriteriaPreview(
        snapshot=snapshot, moves=moves, now=now, new=cut, sample=len(price), step=step,
        now_estimated=now_estimated, new_estimated=new_estimated,
    )  # fmt: skip


def _sampled_cutoffs(
    spec: CriteriaSpec, snapshot: Snapshot, price: npt.NDArray[np.float64], probability: npt.NDArray[np.float64]
) -> tuple[Thresholds, frozenset[str]]:
    """``spec``'s cut-offs: known ones exact (fixed, stored, kept), any other quantile one the sample's (named in the set)."""
    known = criteria_cutoffs_known(spec, snapshot=snapshot)
    stored_price, stored_probability = known["price"], known["probability"]
    if stored_price is not None and stored_probability is not None:
        return Thresholds(*stored_price, *stored_probability), frozenset()
    estimated = frozenset(axis for axis, stored in known.items() if stored is None)
    live = resolve_thresholds(price, probability, spec)
    return Thresholds(
        *(stored_price or (live.price_low, live.price_high)),
        *(stored_probability or (live.probability_low, live.probability_high)),
    ), estimated


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


AXES: tuple[str, ...] = ("price", "probability")  # SnapshotCutoff.axis


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def criteria_cutoffs_known(spec: CriteriaSpec, *, snapshot: Snapshot) -> dict[str, tuple[float, float] | None]:
    """Each axis's (low, high) cut-offs that need no pass over the rows; None for an axis still to compute.

    Known: a fixed (absolute) rule's values; the snapshot's own rule's (stored with it,
    ``Snapshot.thresholds``: no query); a quantile rule computed once before and kept
    (``SnapshotCutoff``: one query, only when an axis is neither of those).
    """
    used = snapshot.criteria.to_spec()
    t = snapshot.thresholds or {}
    known = {
        "price": _stored_axis(spec.price, used.price, t.get("price_low"), t.get("price_high")),
        "probability": _stored_axis(spec.probability, used.probability, t.get("probability_low"), t.get("probability_high")),
    }
    rules = {"price": spec.price, "probability": spec.probability}
    missing = [axis for axis in AXES if known[axis] is None]
    if missing:
        match = Q()
        for axis in missing:
            match |= Q(axis=axis, low=float(rules[axis].low), high=float(rules[axis].high))
        kept = SnapshotCutoff.objects.filter(match, snapshot=snapshot).values_list("axis", "low_value", "high_value")
        for axis, low, high in kept:
            known[axis] = (_nan(low), _nan(high))
    return known


def criteria_cutoffs(
    spec: CriteriaSpec, *, snapshot: Snapshot, known: dict[str, tuple[float, float] | None] | None = None
) -> Thresholds:
    """Return the cut-offs ``spec`` gives on ``snapshot``'s unit prices and probabilities.

    No query when each axis is fixed (absolute) or cut by the same rule as the snapshot's own
    criteria: those are the cut-offs the snapshot stored when it was made (``Snapshot.thresholds``,
    computed on its unrounded unit prices; the rows keep them to the yen's hundredth). Otherwise the
    quantiles are computed over the snapshot's rows: by PostgreSQL (one query per axis, the values
    stay in the database), elsewhere on the values read out (one query). ``known``
    (:func:`criteria_cutoffs_known`'s answer): only the axes it leaves None are computed. This
    computes every time; the criteria page keeps what it computed (``services.criteria_cutoffs_kept``).
    """
    if known is None:
        used = snapshot.criteria.to_spec()
        t = snapshot.thresholds or {}
        price = _stored_axis(spec.price, used.price, t.get("price_low"), t.get("price_high"))
        probability = _stored_axis(spec.probability, used.probability, t.get("probability_low"), t.get("probability_high"))
    else:
        price, probability = known["price"], known["probability"]
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
