"""Criteria: cut each axis into high / mid / low bands and map the 3×3 grid to zones A / B / C.

An axis is cut either at absolute thresholds (e.g. 1,000,000 yen and 5,000,000 yen) or at
quantiles of the portfolio itself (default: terciles, so it works in any currency out of the box).
A value ``x`` is *low* when ``x < low``, *high* when ``x >= high`` and *mid* otherwise.

**Ties.** Quantile bands cut by rank, so they keep their shares when many accounts share a value
(a purchase log whose customers all started in one quarter gives most of them the same
probability): accounts tied on an axis are ordered by the other axis, then by account order,
and the cut falls inside the tie. Without ties this is exactly the threshold rule above. When all
values on an axis are equal the axis says nothing: every account is "mid" on it. Each axis
reports what happened in a :class:`BandNote` (code ``ok`` / ``ties_broken`` / ``all_equal`` /
``no_values`` / ``absolute``, the tied accounts and the shares reached), which the snapshot stores.

Accounts without a unit price ("unpriced") or without a probability get no band on that axis and
therefore no zone (the empty string ``""``, shown as "unzoned"): guessing a zone for an account
we know nothing about would hide it among the accounts we do know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError, Text, gettext_noop

BANDS: tuple[str, str, str] = ("high", "mid", "low")
ZONES: tuple[str, str, str] = ("A", "B", "C")
NO_ZONE = ""
AxisMode = Literal["quantile", "absolute"]
FloatArray = npt.NDArray[np.float64]

DEFAULT_GRID: dict[str, dict[str, str]] = {
    # grid[price band][probability band] -> zone
    "high": {"high": "A", "mid": "A", "low": "B"},
    "mid": {"high": "A", "mid": "B", "low": "C"},
    "low": {"high": "B", "mid": "C", "low": "C"},
}
# ヨミ ranks (A = almost certain ... D = early) and the usual English pipeline stages; managers edit it.
DEFAULT_STAGE_PROBABILITIES: dict[str, float] = {
    "A": 90.0,
    "B": 60.0,
    "C": 30.0,
    "D": 10.0,
    "Lead": 10.0,
    "Discovery": 20.0,
    "Proposal": 40.0,
    "Quotation": 60.0,
    "Negotiation": 80.0,
    # the same stages as Japanese CRMs name them (the Japanese demo writes these)
    "リード": 10.0,
    "ヒアリング": 20.0,
    "提案": 40.0,
    "見積": 60.0,
    "交渉": 80.0,
}


@dataclass(frozen=True)
class AxisRule:
    """How one axis is cut: ``mode`` "quantile" (``low``/``high`` in (0, 1)) or "absolute" (values)."""

    mode: AxisMode = "quantile"
    low: float = 1 / 3
    high: float = 2 / 3

    def validate(self, axis: str, *, upper: float | None = None) -> None:
        """Raise DomainError naming the axis when the rule cannot cut anything."""
        if self.mode not in ("quantile", "absolute"):
            raise DomainError(f"{axis}: mode must be 'quantile' or 'absolute', got {self.mode!r}")
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            raise DomainError(f"{axis}: thresholds must be numbers, got {self.low!r} and {self.high!r}")
        if not self.low < self.high:
            raise DomainError.of(
                gettext_noop("%(axis)s: the low threshold (%(low)s) must be below the high one (%(high)s)"),
                axis=axis,
                low=self.low,
                high=self.high,
            )
        if self.mode == "quantile" and not (self.low > 0 and self.high < 1):
            raise DomainError.of(
                gettext_noop("%(axis)s: quantiles must lie strictly between 0 and 1, got %(low)s and %(high)s"),
                axis=axis,
                low=self.low,
                high=self.high,
            )
        if self.mode == "absolute" and self.low < 0:
            raise DomainError.of(gettext_noop("%(axis)s: thresholds cannot be negative, got %(low)s"), axis=axis, low=self.low)
        if self.mode == "absolute" and upper is not None and self.high > upper:
            raise DomainError.of(
                gettext_noop("%(axis)s: the high threshold (%(high)s) cannot exceed %(upper)s"),
                axis=axis,
                high=self.high,
                upper=upper,
            )


@dataclass(frozen=True)
class CriteriaSpec:
    """Everything a snapshot needs to turn deals into zones; a frozen value, validated on creation.

    ``stage_probabilities`` maps a deal stage (or ヨミ rank "A".."D") to a probability in percent.
    ``near_margin`` is relative: 0.1 flags accounts within 10% of a threshold on either axis.
    """

    price: AxisRule = field(default_factory=AxisRule)
    probability: AxisRule = field(default_factory=AxisRule)
    grid: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_GRID)
    near_margin: float = 0.1
    lookback_months: int = 24
    stage_probabilities: Mapping[str, float] = field(default_factory=lambda: DEFAULT_STAGE_PROBABILITIES)
    history_period_days: int = 91
    history_periods: int = 8

    def __post_init__(self) -> None:
        self.price.validate(Text(gettext_noop("unit price")))
        self.probability.validate(Text(gettext_noop("win probability")), upper=1.0)
        validate_grid(self.grid)
        if not (0 <= self.near_margin < 1):
            raise DomainError.of(gettext_noop("near-boundary margin must be in [0, 1), got %(margin)s"), margin=self.near_margin)
        if not (1 <= self.lookback_months <= 240):
            raise DomainError.of(gettext_noop("look-back must be 1-240 months, got %(months)s"), months=self.lookback_months)
        for stage, pct in self.stage_probabilities.items():
            if not (0 <= float(pct) <= 100):
                raise DomainError.of(
                    gettext_noop("stage %(stage)s: probability must be 0-100 %%, got %(pct)s"), stage=repr(stage), pct=pct
                )
        if self.history_period_days < 1 or self.history_periods < 1:
            raise DomainError.of(gettext_noop("history period length and count must be positive"))


def validate_grid(grid: Mapping[str, Mapping[str, str]]) -> None:
    """Raise DomainError unless ``grid`` maps every (price band, probability band) to A, B or C."""
    for price_band in BANDS:
        row = grid.get(price_band)
        if not isinstance(row, Mapping):
            raise DomainError(f"grid: missing the row for unit price {price_band!r}")
        for prob_band in BANDS:
            zone = row.get(prob_band)
            if zone not in ZONES:
                raise DomainError(f"grid: cell price={price_band} / probability={prob_band} must be A, B or C, got {zone!r}")


@dataclass(frozen=True)
class Thresholds:
    """The cut points actually used (quantile rules resolved against the portfolio)."""

    price_low: float
    price_high: float
    probability_low: float
    probability_high: float

    def as_dict(self) -> dict[str, float | None]:
        return {k: (None if not np.isfinite(v) else float(v)) for k, v in self.__dict__.items()}


def resolve_axis(values: FloatArray, rule: AxisRule) -> tuple[float, float]:
    """Return the (low, high) cut points of one axis; quantiles ignore NaN (NaN, NaN if no values)."""
    if rule.mode == "absolute":
        return float(rule.low), float(rule.high)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(finite, [rule.low, rule.high])
    return float(low), float(high)


def resolve_thresholds(unit_price: FloatArray, probability: FloatArray, spec: CriteriaSpec) -> Thresholds:
    """Resolve both axes of ``spec`` against a portfolio."""
    pl, ph = resolve_axis(np.asarray(unit_price, dtype=float), spec.price)
    ql, qh = resolve_axis(np.asarray(probability, dtype=float), spec.probability)
    return Thresholds(pl, ph, ql, qh)


BAND_NOTE_CODES: tuple[str, ...] = ("ok", "ties_broken", "all_equal", "no_values", "absolute")


@dataclass(frozen=True)
class BandNote:
    """How one axis was cut: ``code`` (see the module docstring), accounts with a value, distinct
    values, accounts whose band the tie-break decided, and the share of accounts per band."""

    axis: str
    code: str
    values: int
    distinct: int
    tied: int
    shares: Mapping[str, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "axis": self.axis,
            "code": self.code,
            "values": self.values,
            "distinct": self.distinct,
            "tied": self.tied,
            "shares": {b: round(float(self.shares.get(b, 0.0)), 4) for b in BANDS},
        }


_BAND_OF_CODE = np.array(["low", "mid", "high"], dtype=object)


def _quantile_bands(
    values: FloatArray, other: FloatArray, rule: AxisRule, low: float, high: float, axis: str
) -> tuple[npt.NDArray[np.object_], BandNote]:
    """Bands of one quantile axis cut by rank (ties ordered by ``other``), and the note saying how.

    The rank cut keeps ``ceil((m - 1) * q)`` accounts below each quantile ``q``, which is what the
    threshold rule keeps when values are distinct; only when a tie straddles a cut does it sort.
    """
    by_threshold = band(values, low, high)
    known = np.flatnonzero(np.isfinite(values))
    m = len(known)
    if m == 0:
        return by_threshold, BandNote(axis, "no_values", 0, 0, 0, {})
    v = values[known]
    ordered = np.sort(v)
    distinct = int(1 + np.count_nonzero(np.diff(ordered)))
    if distinct == 1 and m > 1:
        out = by_threshold.copy()
        out[known] = "mid"
        return out, BandNote(axis, "all_equal", m, 1, m, {"mid": 1.0})
    n_low = int(np.ceil((m - 1) * rule.low - 1e-9))
    high_from = int(np.ceil((m - 1) * rule.high - 1e-9))
    shares = {"high": (m - high_from) / m, "mid": (high_from - n_low) / m, "low": n_low / m}
    if int(np.searchsorted(ordered, low, "left")) == n_low and int(np.searchsorted(ordered, high, "left")) == high_from:
        return by_threshold, BandNote(axis, "ok", m, distinct, 0, shares)
    o = np.nan_to_num(other[known], nan=-np.inf)
    rank = np.empty(m, dtype=np.int64)
    rank[np.lexsort((known, o, v))] = np.arange(m)
    code = (rank >= n_low).astype(np.int8) + (rank >= high_from).astype(np.int8)
    by_value = (v >= low).astype(np.int8) + (v >= high).astype(np.int8)
    out = by_threshold.copy()
    out[known] = _BAND_OF_CODE[code]
    tied = int(np.count_nonzero(code != by_value))
    return out, BandNote(axis, "ties_broken" if tied else "ok", m, distinct, tied, shares)


def band_axis(
    values: FloatArray, other: FloatArray, rule: AxisRule, low: float, high: float, axis: str
) -> tuple[npt.NDArray[np.object_], BandNote]:
    """Return the bands of one axis and its note; quantile axes keep their shares through ties."""
    values = np.asarray(values, dtype=float)
    if rule.mode == "quantile":
        return _quantile_bands(values, np.asarray(other, dtype=float), rule, low, high, axis)
    bands = band(values, low, high)
    known = bands != ""
    shares = {b: float((bands[known] == b).mean()) for b in BANDS} if bool(known.any()) else {}
    finite = values[np.isfinite(values)]
    return bands, BandNote(axis, "absolute", int(known.sum()), int(np.unique(finite).size), 0, shares)


def band(values: FloatArray, low: float, high: float) -> npt.NDArray[np.object_]:
    """Return "high" / "mid" / "low" per value, "" where the value (or a threshold) is NaN."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, "", dtype=object)
    if not (np.isfinite(low) and np.isfinite(high)):
        return out
    known = np.isfinite(values)
    out[known & (values < low)] = "low"
    out[known & (values >= low) & (values < high)] = "mid"
    out[known & (values >= high)] = "high"
    return out


def zone_of(
    price_band: npt.NDArray[np.object_], prob_band: npt.NDArray[np.object_], grid: Mapping[str, Mapping[str, str]]
) -> npt.NDArray[np.object_]:
    """Map band pairs to zones through ``grid``; "" where either band is missing."""
    keys = pd.Series(price_band, dtype=object) + "|" + pd.Series(prob_band, dtype=object)
    table = {f"{p}|{q}": grid[p][q] for p in BANDS for q in BANDS}
    return keys.map(table).fillna(NO_ZONE).to_numpy(dtype=object)


def near_boundary(values: FloatArray, low: float, high: float, margin: float) -> npt.NDArray[np.bool_]:
    """Flag values within ``margin`` (relative to the threshold) of either threshold."""
    values = np.asarray(values, dtype=float)
    flag = np.zeros(values.shape, dtype=bool)
    if margin <= 0:
        return flag
    known = np.isfinite(values)
    for t in (low, high):
        if np.isfinite(t):
            tol = margin * abs(t)
            flag |= known & (np.abs(values - t) <= tol)
    return flag


@dataclass(frozen=True)
class Classification:
    """The result of :func:`classify`: per-account bands, zone and flag, plus the thresholds used."""

    price_band: npt.NDArray[np.object_]
    probability_band: npt.NDArray[np.object_]
    zone: npt.NDArray[np.object_]
    near_boundary: npt.NDArray[np.bool_]
    thresholds: Thresholds
    notes: tuple[BandNote, BandNote] = (
        BandNote("price", "no_values", 0, 0, 0, {}),
        BandNote("probability", "no_values", 0, 0, 0, {}),
    )

    def notes_dict(self) -> dict[str, dict[str, object]]:
        """The two axes' notes as JSON-ready dicts, keyed "price" and "probability"."""
        return {n.axis: n.as_dict() for n in self.notes}


def classify(unit_price: FloatArray, probability: FloatArray, spec: CriteriaSpec) -> Classification:
    """Cut both axes, map the grid to zones and flag near-boundary accounts, for a whole portfolio.

    Quantile axes cut by rank with ties ordered by the other axis (see the module docstring);
    ``notes`` says per axis what happened.
    """
    up = np.asarray(unit_price, dtype=float)
    pr = np.asarray(probability, dtype=float)
    if up.shape != pr.shape:
        raise DomainError(f"unit price and probability must have the same length ({up.size} != {pr.size})")
    t = resolve_thresholds(up, pr, spec)
    pb, price_note = band_axis(up, pr, spec.price, t.price_low, t.price_high, "price")
    qb, prob_note = band_axis(pr, up, spec.probability, t.probability_low, t.probability_high, "probability")
    zone = zone_of(pb, qb, spec.grid)
    zoned = zone != NO_ZONE
    # An axis whose values are all equal puts everyone in mid whatever the value: its cut-offs sit
    # on that value, and no account is near a boundary it could cross there.
    near = zoned & (
        (near_boundary(up, t.price_low, t.price_high, spec.near_margin) & (price_note.code != "all_equal"))
        | (near_boundary(pr, t.probability_low, t.probability_high, spec.near_margin) & (prob_note.code != "all_equal"))
    )
    return Classification(pb, qb, zone, near, t, (price_note, prob_note))


ZONE_LABELS: tuple[str, ...] = (*ZONES, NO_ZONE)


def criteria_change_matrix(unit_price: FloatArray, probability: FloatArray, old: CriteriaSpec, new: CriteriaSpec) -> pd.DataFrame:
    """Count how many accounts move from each old zone to each new zone (rows: old, columns: new).

    The empty-string label is "unzoned". The diagonal holds accounts that stay; everything off it
    is what the change would move, which the UI shows before the criteria are saved.
    """
    before = classify(unit_price, probability, old).zone
    after = classify(unit_price, probability, new).zone
    return crosstab_zones(before, after)


def crosstab_zones(before: npt.NDArray[np.object_], after: npt.NDArray[np.object_]) -> pd.DataFrame:
    """Return a full 4×4 from-zone × to-zone count matrix (A, B, C, unzoned) of two aligned arrays."""
    cat = pd.CategoricalDtype(list(ZONE_LABELS))
    b = pd.Series(before, dtype=object).astype(cat)
    a = pd.Series(after, dtype=object).astype(cat)
    table = pd.crosstab(b, a, dropna=False).reindex(index=list(ZONE_LABELS), columns=list(ZONE_LABELS), fill_value=0)
    table.index.name = "from"
    table.columns.name = "to"
    return table.astype(np.int64)
