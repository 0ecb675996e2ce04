"""How good a probability is: AUC, Brier score, log loss, calibration error and the decile table."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from kokyaku.domain.errors import DomainError

FloatArray = npt.NDArray[np.float64]
_EPS = 1e-6


class Scores(TypedDict):
    """One row of the metrics table; None where a metric is undefined (e.g. AUC with one outcome)."""

    auc: float | None
    brier: float | None
    log_loss: float | None
    ece: float | None
    n: int


def _pair(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], FloatArray]:
    ya = np.asarray(y, dtype=float)
    pa = np.asarray(p, dtype=float)
    if ya.shape != pa.shape:
        raise DomainError(f"outcomes ({ya.shape}) and probabilities ({pa.shape}) differ in shape")
    if bool(np.isnan(pa).any()) or bool(((pa < 0) | (pa > 1)).any()):
        raise DomainError("probabilities must be numbers between 0 and 1")
    return ya.astype(np.int64), pa


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, *, bins: int = 10) -> float:
    """Return the ECE: the count-weighted mean |predicted - actual| over ``bins`` equal-width bins."""
    ya, pa = _pair(y, p)
    if ya.size == 0:
        return float("nan")
    which = np.minimum((pa * bins).astype(np.int64), bins - 1)
    count = np.bincount(which, minlength=bins).astype(float)
    gap = np.abs(np.bincount(which, weights=pa, minlength=bins) - np.bincount(which, weights=ya, minlength=bins))
    return float(gap.sum() / count.sum())


def score(y: npt.ArrayLike, p: npt.ArrayLike) -> Scores:
    """Return AUC, Brier score, log loss (probabilities clipped to [1e-6, 1 - 1e-6]), ECE and n."""
    ya, pa = _pair(y, p)
    n = int(ya.size)
    if n == 0:
        return Scores(auc=None, brier=None, log_loss=None, ece=None, n=0)
    both = ya.min() != ya.max()
    return Scores(
        auc=float(roc_auc_score(ya, pa)) if both else None,
        brier=float(brier_score_loss(ya, pa)),
        log_loss=float(log_loss(ya, np.clip(pa, _EPS, 1 - _EPS), labels=[0, 1])),
        ece=expected_calibration_error(ya, pa),
        n=n,
    )


def decile_table(y: npt.ArrayLike, p: npt.ArrayLike, *, groups: int = 10) -> pd.DataFrame:
    """Return predicted vs actual rate per decile of the prediction (ties kept together by rank).

    Columns ``decile`` (1 = lowest predictions), ``n``, ``predicted`` (mean), ``actual`` (share won).
    The reliability diagram plots ``predicted`` against ``actual``.
    """
    ya, pa = _pair(y, p)
    if ya.size == 0:
        return pd.DataFrame({"decile": [], "n": [], "predicted": [], "actual": []})
    rank = pd.Series(pa).rank(method="first").to_numpy()
    decile = np.minimum(((rank - 1) * groups / ya.size).astype(np.int64), groups - 1) + 1
    frame = pd.DataFrame({"decile": decile, "p": pa, "y": ya})
    out = frame.groupby("decile").agg(n=("y", "size"), predicted=("p", "mean"), actual=("y", "mean")).reset_index()
    out["n"] = out["n"].astype(np.int64)
    return out
