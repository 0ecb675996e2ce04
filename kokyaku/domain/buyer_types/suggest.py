"""A buyer type suggested from behaviour alone, with the reasons behind it: readable rules, one call for all.

Each type has two signals taken from the source article, each a feature of
:func:`~kokyaku.domain.buyer_types.behaviour.behaviour_features` read on a ramp: 0 at or below
``low``, 1 at or above ``high``, linear between. A type's score is the mean of its two signals. The
suggestion is the best-scoring type when the account has enough history (:class:`History`), its
score reaches ``min_score`` and it leads the runner-up by ``min_margin``; otherwise "unknown".
The recorded type is never an input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.buyer_types.behaviour import History
from kokyaku.domain.buyer_types.checklist import BUYER_TYPES, UNKNOWN
from kokyaku.domain.errors import DomainError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Signal:
    """A behaviour that points to a type: ``feature`` read on a ramp from ``low`` (0) to ``high`` (1)."""

    code: str
    buyer_type: str
    feature: str
    low: float
    high: float


SIGNALS: tuple[Signal, ...] = (
    # Visionaries buy what was just launched (新しいもの好き), and not once by chance.
    Signal("early_adopter", "visionary", "early_share", 0.1, 0.5),
    Signal("new_product_deals", "visionary", "early_deals", 0.0, 2.0),
    # Pragmatists compare and take time (比較検討が好きなので、すぐには買わない), through several key persons.
    Signal("long_cycles", "pragmatist", "median_cycle_days", 60.0, 120.0),
    Signal("several_key_persons", "pragmatist", "key_persons", 2.0, 4.0),
    # Conservatives buy risk-reducing services (付帯サービスも同時に買う), again and again.
    Signal("repeat_services", "conservative", "service_wins", 0.0, 2.0),
    Signal("service_share", "conservative", "service_share", 0.2, 0.6),
    # Skeptics doubt the effect or value: many objections, many losses.
    Signal("many_objections", "skeptic", "objections_per_deal", 0.4, 1.2),
    Signal("many_losses", "skeptic", "lost_share", 0.5, 1.0),
)
SIGNAL_CODES: tuple[str, ...] = tuple(s.code for s in SIGNALS)
_SIGNAL_TYPE = np.array([BUYER_TYPES.index(s.buyer_type) for s in SIGNALS])
# Under the rules a type's score is the mean of its own signals: each weighs 1 / (signals of the type).
RULE_WEIGHTS: FloatArray = np.stack(
    [
        np.where(np.equal(_SIGNAL_TYPE, k), 1.0 / max(int(np.equal(_SIGNAL_TYPE, k).sum()), 1), 0.0)
        for k in range(len(BUYER_TYPES))
    ]
)


@dataclass(frozen=True)
class Reason:
    """Why a type was suggested: a signal's code, the feature behind it, its value, strength (0-1) and weight.

    ``weight`` is what the signal added to the suggested type's score: half its strength under the
    rules (a type's score is the mean of its two signals); its coefficient times its strength under
    the learned model.
    """

    code: str
    feature: str
    value: float
    strength: float
    weight: float


@dataclass(frozen=True)
class Suggestion:
    """Suggested types for many accounts (aligned with ``features.index``).

    ``buyer_type`` holds a type or "unknown"; ``score`` the suggested type's score (0 for
    "unknown"); ``scores`` every type's score (columns in :data:`BUYER_TYPES` order); ``strength``
    every signal's strength (columns in :data:`SIGNALS` order); ``enough_history`` whether the
    account had enough history to be suggested anything. ``weights[model[i]]`` is the (types ×
    signals) weight matrix that scored account ``i`` (one for the rules; one per fold for a
    cross-fitted model); ``method`` is "rules" or "learned".
    """

    buyer_type: npt.NDArray[np.object_]
    score: FloatArray
    scores: FloatArray
    strength: FloatArray
    enough_history: npt.NDArray[np.bool_]
    features: pd.DataFrame = field(repr=False)
    weights: FloatArray = field(repr=False, default_factory=lambda: RULE_WEIGHTS[None, :, :])
    model: npt.NDArray[np.intp] | None = field(repr=False, default=None)
    method: str = "rules"

    def reasons(self, positions: npt.ArrayLike) -> list[list[Reason]]:
        """Return the reasons for the accounts at ``positions``: the signals that raised the suggested type.

        Largest weight first. An account suggested "unknown" gets none (its missing history, or its
        undecided ``scores``, are the reason).
        """
        out: list[list[Reason]] = []
        values = self.features[[s.feature for s in SIGNALS]].to_numpy(dtype=float)
        for i in np.atleast_1d(np.asarray(positions, dtype=np.intp)):
            t = self.buyer_type[i]
            if t == UNKNOWN:
                out.append([])
                continue
            w = self.weights[0 if self.model is None else self.model[i], BUYER_TYPES.index(t)] * self.strength[i]
            found = [
                Reason(s.code, s.feature, float(values[i, j]), float(self.strength[i, j]), float(w[j]))
                for j, s in enumerate(SIGNALS)
                if w[j] > 1e-9
            ]
            out.append(sorted(found, key=lambda r: -r.weight))
        return out

    def frame(self) -> pd.DataFrame:
        """Return one row per account: the suggestion, its score, each type's score and each signal's strength."""
        f = pd.DataFrame(
            {"suggested": self.buyer_type, "score": self.score, "enough_history": self.enough_history}, index=self.features.index
        )
        for k, t in enumerate(BUYER_TYPES):
            f[f"score_{t}"] = self.scores[:, k]
        for j, s in enumerate(SIGNALS):
            f[s.code] = self.strength[:, j]
        return f


def signal_strengths(features: pd.DataFrame, signals: tuple[Signal, ...] = SIGNALS) -> FloatArray:
    """Return every signal's strength (0-1) per account: (accounts × signals); a missing value is 0."""
    missing = sorted({s.feature for s in signals} - set(features.columns))
    if missing:
        raise DomainError(f"features: missing column(s) {', '.join(missing)}")
    out = np.empty((len(features), len(signals)))
    for j, s in enumerate(signals):
        if not s.high > s.low:
            raise DomainError(f"signal {s.code}: high must be above low")
        value = features[s.feature].to_numpy(dtype=float)
        out[:, j] = np.nan_to_num(np.clip((value - s.low) / (s.high - s.low), 0.0, 1.0), nan=0.0)
    return out


def suggest_buyer_types(
    features: pd.DataFrame,
    *,
    history: History | None = None,
    min_score: float = 0.4,
    min_margin: float = 0.1,
) -> Suggestion:
    """Suggest a buyer type for every account from its behaviour features, with the reasons.

    ``features`` is :func:`~kokyaku.domain.buyer_types.behaviour.behaviour_features`' frame.
    Accounts without enough history, whose best score is below ``min_score``, or whose best type
    leads the next by less than ``min_margin``, are "unknown".
    """
    if not 0 <= min_score <= 1 or not 0 <= min_margin <= 1:
        raise DomainError("min_score and min_margin must lie between 0 and 1")
    strength = signal_strengths(features)
    scores = strength @ RULE_WEIGHTS.T
    return decide(features, strength, scores, history=history or History(), min_score=min_score, min_margin=min_margin)


def decide(
    features: pd.DataFrame,
    strength: FloatArray,
    scores: FloatArray,
    *,
    history: History,
    min_score: float,
    min_margin: float,
    weights: FloatArray | None = None,
    model: npt.NDArray[np.intp] | None = None,
    method: str = "rules",
) -> Suggestion:
    """Turn per-type scores into a suggestion: the best type, or "unknown" without history, score or lead."""
    order = np.argsort(-scores, axis=1, kind="stable")
    best = order[:, 0]
    top = np.take_along_axis(scores, best[:, None], axis=1)[:, 0]
    second = np.take_along_axis(scores, order[:, 1:2], axis=1)[:, 0]
    enough = history.enough(features)
    decided = enough & (top >= min_score) & (top - second >= min_margin)
    buyer_type = np.where(decided, np.asarray(BUYER_TYPES, dtype=object)[best], UNKNOWN).astype(object)
    return Suggestion(
        buyer_type=buyer_type,
        score=np.where(decided, top, 0.0),
        scores=scores,
        strength=strength,
        enough_history=enough,
        features=features,
        weights=RULE_WEIGHTS[None, :, :] if weights is None else weights,
        model=model,
        method=method,
    )
