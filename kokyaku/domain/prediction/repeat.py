"""Will a customer buy again? The BG/NBD repeat-purchase model (Fader, Hardie & Lee 2005).

While alive, a customer buys at a Poisson rate λ (Gamma(r, α) across customers); after each
purchase it may drop out for good with probability p (Beta(a, b) across customers). From each
account's purchase history, summarised as frequency ``x`` (repeat purchase days), recency ``t_x``
(time from its first to its last purchase) and age ``T`` (time from its first purchase to the
as-of date), the four parameters are fitted by maximum likelihood (scipy's L-BFGS-B on their
logs), and every account gets

* P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((α + T) / (α + t_x))^(r + x)), and
* P(at least one purchase in the next h) = P(alive) (1 - ((α + T) / (α + T + h))^(r + x)):
  alive, λ's posterior is Gamma(r + x, α + T), and no purchase means no chance to drop out.

Times are in ``unit_days`` (default a week). Accounts with the same (x, t_x, T) share one term
of the likelihood, so fitting a million accounts costs what their distinct histories cost.
"""

from __future__ import annotations

from datetime import date
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln

from kokyaku.domain.errors import DomainError, gettext_noop

FloatArray = npt.NDArray[np.float64]


def rfm_summary(account_ids: npt.ArrayLike, deals: pd.DataFrame, *, as_of: date, unit_days: float = 7.0) -> pd.DataFrame:
    """Return frequency, recency and age per account from its won deals closed up to ``as_of``.

    A purchase is a day with at least one won deal (two invoices on a day are one purchase, as in
    the BG/NBD literature). Columns: ``frequency`` (purchase days - 1), ``recency`` and ``age`` in
    ``unit_days``, ``purchases`` (purchase days); accounts without a purchase get 0 purchases and
    NaN recency and age. Index: ``account_ids``.
    """
    idx = pd.Index(np.asarray(account_ids))
    if not idx.is_unique:
        raise DomainError("account ids must be unique")
    end = pd.Timestamp(as_of)
    won = deals.loc[
        (deals["status"] == "won") & deals["closed_on"].notna() & (deals["closed_on"] <= end), ["account_id", "closed_on"]
    ]
    days = pd.DataFrame(
        {"a": won["account_id"].to_numpy(), "d": won["closed_on"].to_numpy().astype("datetime64[D]")}
    ).drop_duplicates()
    g = days.groupby("a")["d"].agg(["min", "max", "size"]).reindex(idx)
    first = g["min"]
    recency = (g["max"] - first).dt.days.to_numpy(dtype=float) / unit_days
    age = (pd.Timestamp(end.date()) - first).dt.days.to_numpy(dtype=float) / unit_days
    purchases = g["size"].fillna(0).to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {"frequency": np.maximum(purchases - 1, 0), "recency": recency, "age": age, "purchases": purchases}, index=idx
    )


def _arrays(frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    t = np.asarray(age, dtype=float)
    if not (x.shape == tx.shape == t.shape):
        raise DomainError("frequency, recency and age must have the same length")
    if bool(np.isnan(x).any() | np.isnan(tx).any() | np.isnan(t).any()):
        raise DomainError("BG/NBD: every account needs a purchase (frequency, recency and age are NaN without one)")
    if bool((x < 0).any() | (tx < 0).any() | (tx > t + 1e-9).any()):
        raise DomainError("BG/NBD: need frequency >= 0 and 0 <= recency <= age for every account")
    return x, tx, t


def _log_likelihood(params: FloatArray, x: FloatArray, tx: FloatArray, t: FloatArray, w: FloatArray) -> float:
    r, alpha, a, b = params
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    ln_a3 = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return float(np.sum(w * (ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4))))


class BetaGeoModel:
    """BG/NBD fitted by maximum likelihood; P(alive) and P(buys in the next period) per account.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the four parameters (0: plain maximum likelihood); a little keeps a and b
        finite on data with almost no drop-outs.
    unit_days : float
        The time unit of recency, age and horizons, in days (default a week).
    """

    def __init__(self, penalizer: float = 0.0, unit_days: float = 7.0) -> None:
        self.penalizer = penalizer
        self.unit_days = unit_days

    def fit(self, frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike) -> Self:
        """Estimate r, α, a, b from every account's (frequency, recency, age)."""
        x, tx, t = _arrays(frequency, recency, age)
        if x.size < 2:
            raise DomainError.of(gettext_noop("BG/NBD: need at least two accounts with a purchase"))
        if bool((t <= 0).all()):
            raise DomainError.of(gettext_noop("BG/NBD: every account bought on the as-of date: nothing to learn yet"))
        uniq, counts = np.unique(np.column_stack([x, tx, t]), axis=0, return_counts=True)
        ux, utx, ut = uniq[:, 0], uniq[:, 1], uniq[:, 2]
        weights = counts.astype(float)
        total = float(weights.sum())

        def objective(theta: FloatArray) -> float:
            params = np.exp(theta)
            value = -_log_likelihood(params, ux, utx, ut, weights) / total
            return value + self.penalizer * float(np.sum(params**2))

        start = np.log(np.array([1.0, max(float(np.mean(t)), 1e-3), 1.0, 1.0]))
        result = minimize(objective, start, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 4)
        if not np.isfinite(result.fun):
            raise DomainError(f"BG/NBD: the fit did not converge ({result.message})")
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(result.x))
        self.log_likelihood_ = -float(result.fun) * total
        self.n_accounts_ = int(total)
        self.converged_ = bool(result.success)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "r_"):
            raise DomainError("BG/NBD: call fit() before predicting")

    def p_alive(self, frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike) -> FloatArray:
        """Return the probability each account is still a customer at its age ``T``."""
        self._check_fitted()
        x, tx, t = _arrays(frequency, recency, age)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_odds = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * (np.log(alpha + t) - np.log(alpha + tx))
            out: FloatArray = np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)
        return out

    def p_purchase(self, frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike, *, horizon: float) -> FloatArray:
        """Return P(at least one purchase in the next ``horizon`` units) per account."""
        if horizon <= 0:
            raise DomainError(f"horizon must be positive, got {horizon}")
        alive = self.p_alive(frequency, recency, age)
        x, _tx, t = _arrays(frequency, recency, age)
        none_if_alive = np.exp((self.r_ + x) * (np.log(self.alpha_ + t) - np.log(self.alpha_ + t + horizon)))
        out: FloatArray = alive * (1.0 - none_if_alive)
        return out

    def predict_next(self, account_ids: npt.ArrayLike, deals: pd.DataFrame, *, as_of: date, horizon_days: float) -> FloatArray:
        """Return P(at least one purchase in the ``horizon_days`` after ``as_of``) per account (NaN: never bought)."""
        rfm = rfm_summary(account_ids, deals, as_of=as_of, unit_days=self.unit_days)
        out = np.full(len(rfm), np.nan)
        has = (rfm["purchases"] > 0).to_numpy()
        if bool(has.any()):
            r = rfm.loc[has]
            out[has] = self.p_purchase(r["frequency"], r["recency"], r["age"], horizon=horizon_days / self.unit_days)
        return out

    def get_params(self, deep: bool = True) -> dict[str, float]:
        """Return the constructor's parameters (scikit-learn's contract)."""
        return {"penalizer": self.penalizer, "unit_days": self.unit_days}

    def set_params(self, **params: float) -> Self:
        """Set constructor parameters (scikit-learn's contract)."""
        for key, value in params.items():
            if key not in self.get_params():
                raise DomainError(f"BG/NBD: unknown parameter {key!r}")
            setattr(self, key, value)
        return self
