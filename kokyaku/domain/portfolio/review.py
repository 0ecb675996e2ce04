"""Reviewing a portfolio: zone migration, effort vs return, and targets with the ヨミ forecast."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio.criteria import NO_ZONE, ZONE_LABELS, ZONES, FloatArray, band, crosstab_zones, zone_of

ZONE_RANK = {"A": 0, "B": 1, "C": 2, NO_ZONE: 3}
# A move up (toward A): into each zone, from these (ranked below it; unzoned is the lowest).
UP_FROM: dict[str, tuple[str, ...]] = {
    zone: tuple(z for z, r in ZONE_RANK.items() if r > rank) for zone, rank in ZONE_RANK.items() if zone != NO_ZONE
}


@dataclass(frozen=True)
class Migration:
    """Zone migration between two snapshots: ``counts`` (from × to) and the accounts behind each cell."""

    counts: pd.DataFrame
    accounts: dict[tuple[str, str], list[int]]


def migration_matrix(before: pd.Series, after: pd.Series) -> Migration:
    """Return the from-zone × to-zone matrix of two snapshots given as ``account_id -> zone`` series.

    An account in only one snapshot counts as unzoned ("") in the other. Cells list account ids
    in ascending order; empty cells are left out of ``accounts``.
    """
    if not (before.index.is_unique and after.index.is_unique):
        raise DomainError("migration: each snapshot must list an account once")
    ids = before.index.union(after.index)
    b = before.reindex(ids).fillna(NO_ZONE).astype(object).to_numpy()
    a = after.reindex(ids).fillna(NO_ZONE).astype(object).to_numpy()
    bad = (set(b) | set(a)) - set(ZONE_LABELS)
    if bad:
        raise DomainError(f"migration: unknown zone(s) {sorted(map(str, bad))}")
    counts = crosstab_zones(b, a)
    frame = pd.DataFrame({"id": np.asarray(ids), "from": b, "to": a}).sort_values("id")
    cells = {(str(f), str(t)): [int(x) for x in g["id"]] for (f, t), g in frame.groupby(["from", "to"], sort=True)}
    return Migration(counts, cells)


def move_direction(before: npt.ArrayLike, after: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Return "up" (toward A), "down", "same", "in" (newly zoned) or "out" (lost its zone) per account."""
    b = pd.Series(np.asarray(before, dtype=object)).map(ZONE_RANK).to_numpy(dtype=float)
    a = pd.Series(np.asarray(after, dtype=object)).map(ZONE_RANK).to_numpy(dtype=float)
    out = np.full(b.shape, "same", dtype=object)
    out[a < b] = "up"
    out[a > b] = "down"
    out[(b == 3) & (a < 3)] = "in"
    out[(b < 3) & (a == 3)] = "out"
    return out


def effort_vs_return(minutes: pd.DataFrame, revenue: pd.DataFrame, *, by: tuple[str, ...] = ("zone",)) -> pd.DataFrame:
    """Join activity minutes and won revenue per group and derive hours, shares and revenue per hour.

    ``minutes`` has the ``by`` columns and ``minutes``; ``revenue`` the ``by`` columns and
    ``revenue``. Returns one row per group with ``minutes, hours, revenue, revenue_per_hour``
    (NaN when no time was spent), ``effort_share`` and ``revenue_share`` (within the whole frame).
    """
    keys = list(by)
    for name, frame, col in (("minutes", minutes, "minutes"), ("revenue", revenue, "revenue")):
        missing = [c for c in [*keys, col] if c not in frame.columns]
        if missing:
            raise DomainError(f"effort vs return: {name} frame lacks column(s) {', '.join(missing)}")
    m = minutes.groupby(keys, dropna=False)["minutes"].sum()
    r = revenue.groupby(keys, dropna=False)["revenue"].sum()
    out = pd.concat([m, r], axis=1).fillna(0.0).reset_index()
    out["minutes"] = out["minutes"].astype(float)
    out["revenue"] = out["revenue"].astype(float)
    out["hours"] = out["minutes"] / 60.0
    with np.errstate(invalid="ignore", divide="ignore"):
        out["revenue_per_hour"] = np.where(out["hours"] > 0, out["revenue"] / out["hours"].where(out["hours"] > 0, 1.0), np.nan)
    total_m, total_r = float(out["minutes"].sum()), float(out["revenue"].sum())
    out["effort_share"] = out["minutes"] / total_m if total_m > 0 else 0.0
    out["revenue_share"] = out["revenue"] / total_r if total_r > 0 else 0.0
    if "zone" in keys:
        out["_rank"] = out["zone"].map(ZONE_RANK)
        out = out.sort_values([k if k != "zone" else "_rank" for k in keys]).drop(columns="_rank")
    else:
        out = out.sort_values(keys)
    return out.reset_index(drop=True)[[*keys, "minutes", "hours", "revenue", "revenue_per_hour", "effort_share", "revenue_share"]]


def deal_probability(probability: pd.Series, stage: pd.Series, stage_probabilities: Mapping[str, float]) -> pd.Series:
    """Return each open deal's probability in [0, 1]: the rep's estimate, else its stage's, else NaN.

    ``probability`` is the rep-entered percent (NaN when empty); ``stage_probabilities`` maps a
    stage or ヨミ rank to a percent (the criteria's table). Values outside 0-100 are clipped.
    """
    table = {str(k): float(v) for k, v in stage_probabilities.items()}
    by_stage = stage.astype(object).map(table).astype(float)
    out = probability.astype(float).fillna(by_stage) / 100.0
    return out.clip(0.0, 1.0)


def target_forecast(
    targets: pd.DataFrame,
    won: pd.DataFrame,
    pipeline: pd.DataFrame,
    *,
    high: float = 0.7,
    mid: float = 0.4,
) -> pd.DataFrame:
    """Return per rep the target, won so far, weighted pipeline, the ヨミ forecast and the gap.

    ``targets``: ``rep_id, target``; ``won``: ``rep_id, amount`` (deals won in the period);
    ``pipeline``: ``rep_id, amount, probability`` (open deals whose ``expected_close_on`` falls in
    the period, probability in [0, 1] from :func:`deal_probability`, NaN when unknown — counted at 0).
    The ヨミ columns read like a Japanese forecast sheet: ``yomi_won`` (確定), ``yomi_high``
    (+ deals at ``high`` or above, ヨミA), ``yomi_mid`` (+ deals at ``mid`` or above, ヨミB);
    ``gap`` = target − won (what is still missing), ``gap_after_yomi`` = target − yomi_mid, both
    0 when ahead; ``surplus`` = won − target and ``surplus_after_yomi`` = yomi_mid − target, 0 when
    behind (a gap is never shown negative).
    """
    if not (0 <= mid < high <= 1):
        raise DomainError(f"ヨミ thresholds must satisfy 0 <= mid < high <= 1, got mid={mid}, high={high}")
    p = pipeline["probability"].astype(float).fillna(0.0).clip(0, 1)
    amt = pipeline["amount"].astype(float).fillna(0.0)
    pf = pd.DataFrame({"rep_id": pipeline["rep_id"].to_numpy(), "amt": amt.to_numpy(), "w": (amt * p).to_numpy()})
    pf["hi"] = np.where(p.to_numpy() >= high, pf["amt"], 0.0)
    pf["md"] = np.where((p.to_numpy() >= mid) & (p.to_numpy() < high), pf["amt"], 0.0)
    return forecast_from_sums(targets, won, pf.groupby("rep_id", as_index=False)[["amt", "w", "hi", "md"]].sum())


def forecast_from_sums(targets: pd.DataFrame, won: pd.DataFrame, pipeline_sums: pd.DataFrame) -> pd.DataFrame:
    """:func:`target_forecast` from the pipeline already summed per rep (by the database, say).

    ``pipeline_sums``: ``rep_id, amt`` (the open deals' amounts), ``w`` (amount × probability),
    ``hi`` (the amounts at ``high`` or above) and ``md`` (at ``mid`` or above, below ``high``), one
    row per rep; the other inputs and the result as in :func:`target_forecast`.
    """
    reps = pd.Index(
        pd.unique(pd.concat([targets["rep_id"], won["rep_id"], pipeline_sums["rep_id"]], ignore_index=True)), name="rep_id"
    )
    target = targets.groupby("rep_id")["target"].sum().reindex(reps).astype(float)
    won_sum = won.groupby("rep_id")["amount"].sum().reindex(reps).fillna(0.0).astype(float)
    g = pipeline_sums.groupby("rep_id")[["amt", "w", "hi", "md"]].sum().reindex(reps).fillna(0.0).astype(float)
    out = pd.DataFrame(index=reps)
    out["target"] = target
    out["won"] = won_sum
    out["pipeline"] = g["amt"]
    out["weighted_pipeline"] = g["w"]
    out["yomi_won"] = won_sum
    out["yomi_high"] = won_sum + g["hi"]
    out["yomi_mid"] = out["yomi_high"] + g["md"]
    out["gap"] = (out["target"] - out["won"]).clip(lower=0)
    out["gap_after_yomi"] = (out["target"] - out["yomi_mid"]).clip(lower=0)
    out["surplus"] = (out["won"] - out["target"]).clip(lower=0)
    out["surplus_after_yomi"] = (out["yomi_mid"] - out["target"]).clip(lower=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["attainment"] = np.where(out["target"] > 0, out["won"] / out["target"].where(out["target"] > 0, 1.0), np.nan)
    return out.reset_index()


TEAM_SUMS: tuple[str, ...] = ("target", "won", "pipeline", "weighted_pipeline", "yomi_won", "yomi_high", "yomi_mid")


def team_forecast(forecast: pd.DataFrame) -> dict[str, float]:
    """Return the team's row of :func:`target_forecast`: its sums and the team's *own* gap.

    The team's gap is its target − its won (and target − ヨミ), 0 when ahead, with the surplus
    beside it: summing the reps' gaps instead would count the shortfall of the reps behind and
    ignore the reps ahead (a team at 73% of a ¥183.6M target showed a ¥83.0M gap, not ¥50.2M,
    and a ヨミ above the target still left a "gap after the ヨミ"). The reps' own shortfalls are
    kept apart, labelled as such: ``reps_behind`` (how many), ``reps_shortfall`` (the sum of their
    gaps), and the same after the ヨミ.
    """
    out = {c: float(forecast[c].sum()) for c in TEAM_SUMS}
    out["gap"] = max(out["target"] - out["won"], 0.0)
    out["surplus"] = max(out["won"] - out["target"], 0.0)
    out["gap_after_yomi"] = max(out["target"] - out["yomi_mid"], 0.0)
    out["surplus_after_yomi"] = max(out["yomi_mid"] - out["target"], 0.0)
    out["attainment"] = out["won"] / out["target"] if out["target"] > 0 else float("nan")
    out["reps_behind"] = int((forecast["gap"] > 0).sum())
    out["reps_shortfall"] = float(forecast["gap"].sum())
    out["reps_behind_after_yomi"] = int((forecast["gap_after_yomi"] > 0).sum())
    out["reps_shortfall_after_yomi"] = float(forecast["gap_after_yomi"].sum())
    return out


def accounts_to_close_gap(candidates: pd.DataFrame, gaps: pd.Series, *, limit: int = 20) -> pd.DataFrame:
    """Pick, per rep, the highest expected-value accounts until their expected value covers the gap.

    ``candidates``: ``rep_id, account_id, expected_value`` (typically the rep's zone-A accounts);
    ``gaps``: rep_id -> amount still missing. Returns the chosen rows with ``cumulative_ev`` and
    ``covers_gap`` (True on the row where the running total first reaches the gap), at most
    ``limit`` per rep; reps without a gap get nothing.
    """
    c = candidates.loc[candidates["expected_value"].notna()].copy()
    c["gap"] = c["rep_id"].map(gaps).astype(float)
    c = c.loc[c["gap"] > 0].sort_values(["rep_id", "expected_value", "account_id"], ascending=[True, False, True])
    c["cumulative_ev"] = c.groupby("rep_id")["expected_value"].cumsum()
    before = c["cumulative_ev"] - c["expected_value"]
    c = c.loc[before < c["gap"]]
    c = c.groupby("rep_id").head(limit)
    c["covers_gap"] = c["cumulative_ev"] >= c["gap"]
    return c.reset_index(drop=True)


__all__ = [
    "ZONES",
    "Migration",
    "accounts_to_close_gap",
    "deal_probability",
    "effort_vs_return",
    "migration_matrix",
    "move_direction",
    "target_forecast",
    "team_forecast",
]


@dataclass(frozen=True)
class CriteriaShiftSplit:
    """Zone changes between two snapshots taken under different criteria, split in two.

    ``regraded`` is each account's earlier zone re-read with the later criteria's cut-offs and grid;
    ``reclassified`` marks the accounts whose zone the criteria change alone moved (earlier zone ≠
    regraded), ``moved`` those whose values really moved them (regraded ≠ later zone).
    """

    regraded: npt.NDArray[np.object_]
    reclassified: npt.NDArray[np.bool_]
    moved: npt.NDArray[np.bool_]


def split_criteria_shift(
    earlier_zone: npt.ArrayLike,
    unit_price: npt.ArrayLike,
    probability: npt.ArrayLike,
    later_zone: npt.ArrayLike,
    *,
    later_values: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    cutoffs: Mapping[str, float | None],
    grid: Mapping[str, Mapping[str, str]],
) -> CriteriaShiftSplit:
    """Re-read the earlier snapshot's values with the later criteria and split re-classification from movement.

    ``cutoffs`` are the later snapshot's resolved thresholds (``price_low``, ``price_high``,
    ``probability_low``, ``probability_high``; None for an axis without values): the same
    yardstick for both dates, so what is left after re-reading is movement of the values.
    ``later_values`` (the later unit prices and probabilities), when given, settle ties: an account
    whose figures did not change has not moved, so its re-read zone is its later zone (a quantile
    cut that falls inside a tie orders the tied accounts by rank, which a threshold cannot repeat).
    """

    def cut(name: str) -> float:
        value = cutoffs.get(name)
        return float("nan") if value is None else float(value)

    price = np.asarray(unit_price, dtype=float)
    prob = np.asarray(probability, dtype=float)
    regraded = zone_of(
        band(price, cut("price_low"), cut("price_high")), band(prob, cut("probability_low"), cut("probability_high")), grid
    )
    earlier = np.asarray(earlier_zone, dtype=object)
    later = np.asarray(later_zone, dtype=object)
    if not (earlier.shape == price.shape == prob.shape == later.shape):
        raise DomainError("criteria shift: the four arrays must have one entry per account")
    if later_values is not None:
        later_price, later_prob = (np.asarray(v, dtype=float) for v in later_values)

        def same(a: FloatArray, b: FloatArray) -> npt.NDArray[np.bool_]:
            return np.asarray((a == b) | (np.isnan(a) & np.isnan(b)), dtype=bool)

        unchanged = same(price, later_price) & same(prob, later_prob)
        regraded = np.where(unchanged, later, regraded)
    return CriteriaShiftSplit(regraded, earlier != regraded, regraded != later)
