"""DealWinModel: the chance an open deal is won, learned from the team's closed deals.

Two candidates, a regularised logistic regression (its strength, one of LOGISTIC_C, chosen the
same way) and a histogram gradient-boosting classifier, are fitted on the older part of the
training deals and compared on the newest part (Brier score); the better one is calibrated there
(isotonic with 1,000 or more deals, sigmoid below) and its probability is shrunk toward the base
rate in proportion to how few deals it learned from:
``p = w * p_model + (1 - w) * base_rate`` with ``w = n / (n + prior_deals)``.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from kokyaku.domain.errors import DomainError
from kokyaku.domain.prediction.features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES

FloatArray = npt.NDArray[np.float64]
CANDIDATES: tuple[str, ...] = ("logistic", "gradient_boosting")
# Inverse regularisation strengths the logistic candidate tries; the validation Brier picks one
# (on the demo, 0.05 beat the former fixed 0.5 on validation and on the later test deals alike).
LOGISTIC_C: tuple[float, ...] = (0.05, 0.2, 1.0)
# Counts whose log the linear model sees (trees do not care: the log keeps their order).
_COUNTS = frozenset({"age_days", "activities", "minutes", "account_won", "account_lost"})
_CLIP = 1e-3
MIN_EFFECT = 0.005  # half a percentage point: smaller effects are not given as reasons


def _labels(y: npt.ArrayLike) -> npt.NDArray[np.int64]:
    arr = np.asarray(y)
    if arr.dtype == object or arr.dtype.kind in "US":
        arr = np.asarray(pd.Series(arr).map({"won": 1, "lost": 0, True: 1, False: 0}))
    out = np.asarray(arr, dtype=float)
    if np.isnan(out).any() or not set(np.unique(out)) <= {0.0, 1.0}:
        raise DomainError("deal outcomes must be won / lost (1 / 0)")
    return out.astype(np.int64)


class DealWinModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn ships no type hints
    """Calibrated probability that a deal is won, with the three features that moved each prediction.

    Parameters
    ----------
    candidates : tuple of str
        Any of "logistic" and "gradient_boosting"; the one with the lower Brier score on the newest
        ``validation_share`` of the training deals is kept.
    prior_deals : float
        Pseudo-deals at the base rate the prediction is shrunk toward (0: no shrinkage).
    validation_share : float
        Share of the training deals (the newest, when ``time`` is given) that choose and calibrate.
    min_deals : int
        Fewer closed deals (or only one outcome) and the model predicts the base rate and says so.
    max_categories : int
        Categories kept per categorical feature (the most frequent); the rest count as "other".
    max_iter : int
        Boosting rounds of the gradient-boosting candidate (early stopping on 10,000+ deals).
    explain_features : int or None
        How many features (those with the largest mean effect on the validation deals) each
        explanation tries; None: all. Each costs one more prediction per deal.
    max_train_rows : int or None
        The candidates learn from at most this many of the newest training deals before the
        validation part (None: all). Keeps training on a million deals within a minute on two
        busy cores; ``docs/prediction.md`` gives the validation Brier with and without the cap.
    drop_features : tuple of str
        Feature codes left out (e.g. those :func:`~kokyaku.domain.prediction.features.screen_leaks` flags).
    threads : int or None
        OpenMP / BLAS threads while fitting and predicting (None: the libraries' default, every
        core). One by default: on the shared two-core machine, two threads fitted 4,000 deals in
        34 s instead of 0.9 s (busy cores make OpenMP threads wait on each other), and 800,000 in
        89 s instead of 17 s.
    random_state : int
        Seed of every random choice (boosting's validation split).
    """

    def __init__(
        self,
        *,
        candidates: tuple[str, ...] = CANDIDATES,
        prior_deals: float = 100.0,
        validation_share: float = 0.2,
        min_deals: int = 40,
        max_categories: int = 60,
        max_iter: int = 150,
        max_train_rows: int | None = 250_000,
        explain_features: int | None = 6,
        drop_features: tuple[str, ...] = (),
        threads: int | None = 1,
        random_state: int = 0,
    ) -> None:
        self.candidates = candidates
        self.prior_deals = prior_deals
        self.validation_share = validation_share
        self.min_deals = min_deals
        self.max_categories = max_categories
        self.max_iter = max_iter
        self.max_train_rows = max_train_rows
        self.explain_features = explain_features
        self.drop_features = drop_features
        self.threads = threads
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike, *, time: npt.ArrayLike | None = None) -> Self:
        """Learn from closed deals' features ``X`` (:data:`FEATURES` columns) and outcomes ``y`` (1 = won).

        ``time`` (one date per deal, e.g. the close date) orders the deals so that the newest
        choose and calibrate; without it the rows are taken to be in time order.
        """
        with threadpool_limits(limits=self.threads):
            return self._fit(X, y, time)

    def _fit(self, X: pd.DataFrame, y: npt.ArrayLike, time: npt.ArrayLike | None) -> Self:
        bad = [c for c in self.candidates if c not in CANDIDATES]
        if bad or not self.candidates:
            raise DomainError(f"unknown model candidate(s) {bad}; choose from {list(CANDIDATES)}")
        if not 0 < self.validation_share < 1:
            raise DomainError(f"validation_share must be in (0, 1), got {self.validation_share}")
        missing = [c for c in FEATURES if c not in X.columns]
        if missing:
            raise DomainError(f"deal features: missing column(s) {', '.join(missing)}")
        labels = _labels(y)
        if len(labels) != len(X):
            raise DomainError(f"deal features ({len(X)}) and outcomes ({len(labels)}) differ in length")
        if time is not None:
            order = np.argsort(pd.to_datetime(pd.Series(np.asarray(time))).to_numpy(), kind="stable")
            X, labels = X.iloc[order], labels[order]
        self.classes_ = np.array([0, 1])
        self.n_train_ = len(labels)
        self.base_rate_ = float(labels.mean()) if len(labels) else float("nan")
        self.features_ = [f for f in FEATURES if f not in self.drop_features and bool(X[f].notna().any())]
        self.dropped_ = {f: ("dropped" if f in self.drop_features else "no_values") for f in FEATURES if f not in self.features_}
        self.candidate_brier_: dict[str, float] = {}
        self.estimator_: Any = None
        self.calibration_ = "none"
        self.chosen_ = "base_rate"
        self.reason_ = "ok"
        if len(labels) < self.min_deals:
            self.reason_ = "too_few_closed_deals"
            return self._no_model(X)
        if labels.min() == labels.max():
            self.reason_ = "one_outcome_only"
            return self._no_model(X)
        self._learn_encoding(X)
        matrix = self._encode(X)
        cut = round(len(labels) * (1 - self.validation_share))
        first = 0 if self.max_train_rows is None else max(0, cut - int(self.max_train_rows))
        fit_y, val_y = labels[first:cut], labels[cut:]
        if fit_y.min() == fit_y.max() or val_y.min() == val_y.max():
            self.reason_ = "one_outcome_in_a_split"
            return self._no_model(X)
        fitted = {}
        self.logistic_c_: float | None = None
        for name in self.candidates:
            for c in LOGISTIC_C if name == "logistic" else (None,):
                est = self._candidate(name, c=c).fit(matrix[first:cut], fit_y)
                p = est.predict_proba(matrix[cut:])[:, 1]
                brier = float(np.mean((p - val_y) ** 2))
                if name not in self.candidate_brier_ or brier < self.candidate_brier_[name]:
                    self.candidate_brier_[name] = brier
                    fitted[name] = est
                    if c is not None:
                        self.logistic_c_ = c
        self.chosen_ = min(self.candidate_brier_, key=lambda k: self.candidate_brier_[k])
        self.calibration_ = "isotonic" if len(val_y) >= 1000 else "sigmoid"
        calibrated = CalibratedClassifierCV(FrozenEstimator(fitted[self.chosen_]), method=self.calibration_)
        self.estimator_ = calibrated.fit(matrix[cut:], val_y)
        self.shrink_ = self.n_train_ / (self.n_train_ + float(self.prior_deals)) if self.prior_deals > 0 else 1.0
        self._rank_for_explanations(matrix[cut:])
        return self

    def _no_model(self, X: pd.DataFrame) -> Self:
        self._learn_encoding(X)
        self.shrink_ = 0.0
        self.explain_order_: list[str] = []
        return self

    def _learn_encoding(self, X: pd.DataFrame) -> None:
        self.categories_: dict[str, list[str]] = {}
        self.reference_: dict[str, Any] = {}
        for f in self.features_:
            col = X[f]
            if f in CATEGORICAL_FEATURES:
                counts = col.dropna().astype(str).value_counts(sort=True)
                self.categories_[f] = [str(v) for v in counts.index[: self.max_categories]]
                self.reference_[f] = str(counts.index[0]) if len(counts) else None
            else:
                values = pd.to_numeric(col, errors="coerce")
                self.reference_[f] = float(values.median()) if values.notna().any() else float("nan")

    def _candidate(self, name: str, *, c: float | None = None) -> Any:
        numeric = [i for i, f in enumerate(self.features_) if f in NUMERIC_FEATURES]
        categorical = [i for i, f in enumerate(self.features_) if f in CATEGORICAL_FEATURES]
        if name == "logistic":
            columns = []
            if numeric:
                columns.append(
                    (
                        "num",
                        Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())]),
                        numeric,
                    )
                )
            if categorical:
                columns.append(("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), categorical))
            return Pipeline(
                [
                    ("encode", ColumnTransformer(columns)),
                    ("model", LogisticRegression(C=LOGISTIC_C[0] if c is None else c, max_iter=300)),
                ]
            )
        mask = [f in CATEGORICAL_FEATURES for f in self.features_]
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=0.1,
            max_leaf_nodes=31,
            min_samples_leaf=40,
            l2_regularization=1.0,
            categorical_features=mask if any(mask) else None,
            early_stopping="auto",
            random_state=self.random_state,
        )

    def _encode(self, X: pd.DataFrame) -> FloatArray:
        """Features as one float matrix: logs of counts, category codes (unknown: "other"; missing: NaN)."""
        out = np.empty((len(X), len(self.features_)), dtype=np.float64)
        for j, f in enumerate(self.features_):
            col = X[f]
            if f in CATEGORICAL_FEATURES:
                cats = self.categories_[f]
                present = col.notna().to_numpy()
                codes = pd.Index(cats, dtype=object).get_indexer(pd.Index(col.astype(object).astype(str))).astype(float)
                codes[codes < 0] = len(cats)  # seen rarely or never: "other"
                codes[~present] = np.nan
                out[:, j] = codes
            else:
                values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
                out[:, j] = np.log1p(np.maximum(values, 0.0)) if f in _COUNTS else values
        return out

    # -- predicting -----------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "base_rate_"):
            raise DomainError("deal model: call fit() before predicting")

    def _p(self, matrix: FloatArray) -> FloatArray:
        n = matrix.shape[0]
        if self.estimator_ is None:
            return np.full(n, self.base_rate_)
        with threadpool_limits(limits=self.threads):
            raw = self.estimator_.predict_proba(matrix)[:, 1]
        p: FloatArray = np.clip(self.shrink_ * raw + (1 - self.shrink_) * self.base_rate_, _CLIP, 1 - _CLIP)
        return p

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Return an (n, 2) array: P(lost), P(won) per deal."""
        self._check_fitted()
        p = self._p(self._encode(X)) if len(X) else np.empty(0)
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> npt.NDArray[np.int64]:
        """Return 1 where a deal is more likely won than lost."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def _effects(self, matrix: FloatArray, columns: list[int]) -> tuple[FloatArray, FloatArray]:
        """Probabilities, and per listed feature the probability minus that with the feature at its typical value."""
        reference = self._encode(pd.DataFrame({f: [self.reference_[f]] for f in self.features_}))[0]
        p = self._p(matrix)
        n, width = matrix.shape
        stacked = np.repeat(matrix[None, :, :], len(columns), axis=0)
        for i, j in enumerate(columns):
            stacked[i, :, j] = reference[j]
        without = self._p(stacked.reshape(-1, width)).reshape(len(columns), n)
        return p, (p[None, :] - without).T

    def _rank_for_explanations(self, matrix: FloatArray) -> None:
        """Order the features by their mean absolute effect on (a sample of) the validation deals."""
        sample = matrix[:: max(1, len(matrix) // 2000)]
        _p, effect = self._effects(sample, list(range(len(self.features_))))
        self.explain_order_ = [self.features_[j] for j in np.argsort(-np.abs(effect).mean(axis=0), kind="stable")]

    def explain(self, X: pd.DataFrame, *, top: int = 3) -> pd.DataFrame:
        """Return the ``top`` features that moved each deal's probability most, with value and effect.

        A feature's effect is the probability minus the probability with that feature set to the
        training deals' typical value (median, or most frequent category): positive raises the
        chance. Only the ``explain_features`` features with the largest mean effect on the
        validation deals are tried (each costs one more prediction of every deal). Columns
        ``feature_1, value_1, effect_1, ...`` (codes and raw values for the UI to translate); index
        as ``X``. A slot is empty ("", None, 0.0) where no further feature moved the probability by
        half a percentage point; the base-rate fallback explains nothing.
        """
        self._check_fitted()
        n = len(X)
        cols: dict[str, Any] = {f"{kind}_{i}": None for i in range(1, top + 1) for kind in ("feature", "value", "effect")}
        for i in range(1, top + 1):
            cols[f"feature_{i}"] = np.full(n, "", dtype=object)
            cols[f"value_{i}"] = np.full(n, None, dtype=object)
            cols[f"effect_{i}"] = np.zeros(n)
        if self.estimator_ is None or n == 0:
            return pd.DataFrame(cols, index=X.index)
        tried = self.explain_order_[: self.explain_features] if self.explain_features else self.explain_order_
        columns = [self.features_.index(f) for f in tried]
        k = min(top, len(columns))
        matrix = self._encode(X)
        effect = np.vstack([self._effects(matrix[i : i + 50_000], columns)[1] for i in range(0, n, 50_000)])
        order = np.argsort(-np.abs(effect), axis=1, kind="stable")[:, :k]
        rows = np.arange(n)
        names = np.asarray(tried, dtype=object)[order]
        raw = X[tried].to_numpy(dtype=object)
        for i in range(k):
            moved = np.abs(effect[rows, order[:, i]]) >= MIN_EFFECT  # a feature at its typical value moved nothing
            cols[f"feature_{i + 1}"] = np.where(moved, names[:, i], "")
            values = raw[rows, order[:, i]].copy()
            values[~moved] = None
            cols[f"value_{i + 1}"] = values
            cols[f"effect_{i + 1}"] = np.where(moved, effect[rows, order[:, i]], 0.0)
        return pd.DataFrame(cols, index=X.index)
