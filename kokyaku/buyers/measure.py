"""How good the suggestion is, measured on a time split against the simple alternative (pure: pandas, NumPy).

The model learns from the behaviour up to a cutoff (accounts that had enough history then, with
the types reps recorded); it is then tested on the accounts that only gained enough history after
the cutoff, from their behaviour today. The rules and the simple alternative (every account is the
most common recorded type) are scored on the same accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.buyer_types import UNKNOWN, BuyerTypeModel, History, suggest_buyer_types
from kokyaku.domain.errors import DomainError


@dataclass(frozen=True)
class MethodScore:
    method: str  # "learned", "rules" or "majority"
    accuracy: float | None  # share of the test accounts whose recorded type it gave ("unknown" is a miss)
    given: float | None  # share of the test accounts it gave a type to


@dataclass(frozen=True)
class TimeSplit:
    cutoff: date
    as_of: date
    train: int  # recorded accounts with enough history at the cutoff
    test: int  # recorded accounts that gained enough history between the cutoff and as_of
    majority_type: str
    scores: list[MethodScore]
    note: str  # why a method is missing ("" when all are there)


def time_split(before: pd.DataFrame, now: pd.DataFrame, recorded: npt.ArrayLike, *, cutoff: date, as_of: date) -> TimeSplit:
    """Score learned, rules and majority on the accounts that gained enough history after ``cutoff``.

    ``before`` and ``now`` are the behaviour features at ``cutoff`` and ``as_of`` (same accounts,
    same order); ``recorded`` the recorded types.
    """
    y = np.asarray(recorded, dtype=object)
    history = History()
    typed = y != UNKNOWN
    train = typed & history.enough(before)
    test = typed & ~history.enough(before) & history.enough(now)
    scores: list[MethodScore] = []
    note = ""
    if not train.any():
        return TimeSplit(cutoff, as_of, 0, int(test.sum()), UNKNOWN, [], "no recorded account had enough history at the cutoff")
    values, counts = np.unique(y[train].astype(str), return_counts=True)
    majority = str(values[np.argmax(counts)])
    truth = y[test]
    held = now.iloc[np.flatnonzero(test)]

    def score(method: str, suggested: npt.NDArray[np.object_] | None) -> MethodScore:
        if suggested is None or len(truth) == 0:
            return MethodScore(method, None, None)
        return MethodScore(method, float((suggested == truth).mean()), float((suggested != UNKNOWN).mean()))

    try:
        model = BuyerTypeModel(history=history).fit(before, np.where(train, y, UNKNOWN))
        scores.append(score("learned", model.suggest(held).buyer_type))
    except DomainError as exc:
        scores.append(MethodScore("learned", None, None))
        note = str(exc)
    scores.append(score("rules", suggest_buyer_types(held, history=history).buyer_type))
    scores.append(score("majority", np.full(len(truth), majority, dtype=object)))
    return TimeSplit(cutoff, as_of, int(train.sum()), int(test.sum()), majority, scores, note)
