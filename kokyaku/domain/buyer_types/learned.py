"""The learned suggestion: the rules' signals weighed by a logistic regression fit on the types reps recorded.

The rules (:func:`~kokyaku.domain.buyer_types.suggest.suggest_buyer_types`) need no labels and
weigh each signal alike. Once reps have recorded types, :class:`BuyerTypeModel` learns how much
each of the same eight signals says about each type in this team's data (a long cycle may mean
little where every deal is long). Its reasons stay the signals, weighed by their coefficients.

It is never trusted blindly: :func:`evaluate_suggestions` fits it on some accounts and scores it,
the rules and the majority type on the others (held-out accounts) in the same run, and
:func:`cross_fit_suggest` suggests each recorded account's type from a model that never saw that
account's recorded type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, train_test_split

from kokyaku.domain.buyer_types.behaviour import History
from kokyaku.domain.buyer_types.checklist import BUYER_TYPES, UNKNOWN
from kokyaku.domain.buyer_types.suggest import Suggestion, decide, signal_strengths, suggest_buyer_types
from kokyaku.domain.errors import DomainError, Text, gettext_noop

FloatArray = npt.NDArray[np.float64]
# Learn only when every type has this many recorded accounts with enough history to learn from.
MIN_PER_TYPE = 10
# The learned suggestion replaces the rules only when it beats them on held-out accounts by this much.
MIN_GAIN = 0.02
MAX_TRAIN = 200_000


def _labels(recorded: npt.ArrayLike, n: int) -> npt.NDArray[np.object_]:
    y = np.asarray(recorded, dtype=object)
    if y.shape != (n,):
        raise DomainError(f"recorded types: expected one per account ({n}), got shape {y.shape}")
    bad = set(map(str, y)) - {*BUYER_TYPES, UNKNOWN}
    if bad:
        raise DomainError(f"recorded types: unknown value(s) {sorted(bad)}")
    return y


def _learnable(features: pd.DataFrame, y: npt.NDArray[np.object_], history: History) -> npt.NDArray[np.bool_]:
    out: npt.NDArray[np.bool_] = history.enough(features) & (y != UNKNOWN)
    return out


class BuyerTypeModel:
    """Multinomial logistic regression from the eight signal strengths to the recorded buyer type.

    Parameters
    ----------
    C : float
        Inverse regularisation strength (scikit-learn's ``LogisticRegression``).
    history : History or None
        What counts as enough history, both to learn from and to suggest; None: :class:`History`'s default.
    min_per_type : int
        Fewer recorded accounts (with enough history) than this for any type raises DomainError.
    max_train : int or None
        Learn from at most this many accounts, a random sample of them (36 weights need far fewer;
        this keeps a million-account fit to seconds). None: all.
    random_state : int or None
        Seed of that sample.
    """

    def __init__(
        self,
        *,
        C: float = 1.0,
        history: History | None = None,
        min_per_type: int = MIN_PER_TYPE,
        max_train: int | None = MAX_TRAIN,
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.history = history
        self.min_per_type = min_per_type
        self.max_train = max_train
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, recorded: npt.ArrayLike) -> Self:
        """Learn the signals' weights from accounts with a recorded type and enough history."""
        y = _labels(recorded, len(features))
        use = _learnable(features, y, self.history or History())
        counts = {t: int((y[use] == t).sum()) for t in BUYER_TYPES}
        short = {t: c for t, c in counts.items() if c < self.min_per_type}
        if short:
            raise DomainError.of(
                gettext_noop("learned suggestion: needs %(needed)s recorded accounts with enough history per type; %(counts)s"),
                needed=self.min_per_type,
                counts=tuple(Text(gettext_noop("%(type)s has %(count)s"), type=t, count=c) for t, c in short.items()),
            )
        rows = np.flatnonzero(use)
        if self.max_train is not None and len(rows) > self.max_train:
            rows = np.sort(np.random.default_rng(self.random_state).choice(rows, size=self.max_train, replace=False))
        # Newton-Cholesky: exact second-order steps suit many rows and few (8) features; 5x faster than lbfgs here.
        estimator = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=100)
        estimator.fit(signal_strengths(features.iloc[rows]), y[rows].astype(str))
        order = [list(estimator.classes_).index(t) for t in BUYER_TYPES]
        self.estimator_ = estimator
        self.coef_: FloatArray = np.asarray(estimator.coef_)[order]
        self.intercept_: FloatArray = np.asarray(estimator.intercept_)[order]
        self.n_train_ = len(rows)
        self.counts_ = counts
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise DomainError("learned suggestion: call fit() before predicting")

    def predict_proba(self, features: pd.DataFrame) -> FloatArray:
        """Return each account's probability per type (columns in ``BUYER_TYPES`` order)."""
        self._check_fitted()
        z = signal_strengths(features) @ self.coef_.T + self.intercept_
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        out: FloatArray = e / e.sum(axis=1, keepdims=True)
        return out

    def suggest(self, features: pd.DataFrame, *, min_probability: float = 0.5, min_margin: float = 0.0) -> Suggestion:
        """Suggest the most probable type where history is enough and it reaches ``min_probability``."""
        self._check_fitted()
        return decide(
            features,
            signal_strengths(features),
            self.predict_proba(features),
            history=self.history or History(),
            min_score=min_probability,
            min_margin=min_margin,
            weights=self.coef_[None, :, :],
            method="learned",
        )


def cross_fit_suggest(
    features: pd.DataFrame,
    recorded: npt.ArrayLike,
    *,
    n_splits: int = 5,
    random_state: int = 0,
    C: float = 1.0,
    history: History | None = None,
    min_probability: float = 0.5,
) -> Suggestion:
    """Suggest every account's type with the learned model, never from the account's own recorded type.

    Recorded accounts are cut into ``n_splits`` folds; each fold is suggested by a model fit on the
    others. Accounts without a recorded type (or without enough history) get the model fit on all.
    """
    if n_splits < 2:
        raise DomainError(f"n_splits must be at least 2, got {n_splits}")
    y = _labels(recorded, len(features))
    history = history or History()
    use = np.flatnonzero(_learnable(features, y, history))
    strength = signal_strengths(features)
    full = BuyerTypeModel(C=C, history=history).fit(features, y)
    weights = np.empty((n_splits + 1, len(BUYER_TYPES), strength.shape[1]))
    weights[n_splits] = full.coef_
    model = np.full(len(features), n_splits, dtype=np.intp)
    scores = full.predict_proba(features)
    # Folds by position only (not stratified): which fold an account falls in must not depend on its type.
    folds = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for k, (_train, test) in enumerate(folds.split(use)):
        y_k = y.copy()
        y_k[use[test]] = UNKNOWN  # hide this fold's recorded types
        fold = BuyerTypeModel(C=C, history=history, min_per_type=1).fit(features, y_k)
        weights[k] = fold.coef_
        model[use[test]] = k
        scores[use[test]] = fold.predict_proba(features.iloc[use[test]])
    return decide(
        features,
        strength,
        scores,
        history=history,
        min_score=min_probability,
        min_margin=0.0,
        weights=weights,
        model=model,
        method="learned",
    )


@dataclass(frozen=True)
class HoldoutEvaluation:
    """The learned model, the rules and the majority type scored on the same held-out accounts.

    ``accuracy`` counts an "unknown" suggestion as a miss; ``suggested`` is the share of held-out
    accounts given a type. ``method`` is "learned" when it beat the rules by ``MIN_GAIN``, else "rules".
    """

    train: int
    test: int
    accuracy: dict[str, float]
    suggested: dict[str, float]
    majority_type: str
    method: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate_suggestions(
    features: pd.DataFrame,
    recorded: npt.ArrayLike,
    *,
    test_size: float = 0.3,
    random_state: int = 0,
    C: float = 1.0,
    history: History | None = None,
    min_probability: float = 0.5,
) -> HoldoutEvaluation:
    """Fit the learned model on some recorded accounts; score it, the rules and the majority type on the rest.

    Only accounts with a recorded type and enough history take part; the split is stratified by type.
    """
    y = _labels(recorded, len(features))
    history = history or History()
    use = np.flatnonzero(_learnable(features, y, history))
    if len(use) < 2 * len(BUYER_TYPES):
        raise DomainError.of(
            gettext_noop("evaluation: needs recorded accounts with enough history; found %(found)s"), found=len(use)
        )
    train, test = train_test_split(use, test_size=test_size, random_state=random_state, stratify=y[use].astype(str))
    y_train = y.copy()
    y_train[test] = UNKNOWN
    model = BuyerTypeModel(C=C, history=history).fit(features, y_train)
    held = features.iloc[test]
    truth = y[test]
    learned = model.suggest(held, min_probability=min_probability).buyer_type
    rules = suggest_buyer_types(held, history=history).buyer_type
    values, counts = np.unique(y[train].astype(str), return_counts=True)
    majority = str(values[np.argmax(counts)])
    accuracy = {
        "learned": float((learned == truth).mean()),
        "rules": float((rules == truth).mean()),
        "majority": float((truth == majority).mean()),
    }
    suggested = {"learned": float((learned != UNKNOWN).mean()), "rules": float((rules != UNKNOWN).mean()), "majority": 1.0}
    method = "learned" if accuracy["learned"] >= accuracy["rules"] + MIN_GAIN else "rules"
    return HoldoutEvaluation(len(train), len(test), accuracy, suggested, majority, method)
