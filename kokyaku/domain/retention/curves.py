"""Retention curves: the classic one (Hughes: 50% → 55% → 60%) and the shifted-beta-geometric model.

The **shifted-beta-geometric** (sBG) model of Fader & Hardie ("How to project customer
retention", Journal of Interactive Marketing 21(1), 2007): each customer leaves at the end of
any period with its own probability θ, constant over time; θ varies across customers as
Beta(α, β). The survivors are ever more the loyal ones, so the retention rate rises with tenure,
as the classic curve does:

* survival after *t* periods ``S(t) = B(α, β + t) / B(α, β)``;
* retention rate in period *t* ``r(t) = S(t) / S(t - 1) = (β + t - 1) / (α + β + t - 1)``;
* churn in period *t* ``P(T = t) = B(α + 1, β + t - 1) / B(α, β)``.

With α = β = 4.5 it gives 50%, 55%, 59.1%: the classic curve.
"""

from __future__ import annotations

from typing import Protocol, Self

import numpy as np
import numpy.typing as npt
from scipy import optimize, special
from scipy.differentiate import hessian

from kokyaku.domain.errors import DomainError, gettext_noop

FloatArray = npt.NDArray[np.float64]
DAYS_PER_YEAR = 365.25
CLASSIC_RETENTION: tuple[float, ...] = (0.50, 0.55, 0.60)  # kept after year 1, of those after year 2, year 3
CLASSIC_ALPHA = CLASSIC_BETA = 4.5  # the sBG that reproduces the classic curve (50 / 55 / 59%)
_LOG_BOUND = 9.0  # α and β between e^-9 and e^9 (0.0001 .. 8,100): beyond, the likelihood is flat


def sbg_survival(alpha: npt.ArrayLike, beta: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
    """Share of customers still there after ``t`` periods (``t`` may be fractional), broadcasting."""
    a, b, tt = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float), np.asarray(t, dtype=float)
    out: FloatArray = np.exp(special.betaln(a, b + tt) - special.betaln(a, b))
    return out


def sbg_retention(alpha: npt.ArrayLike, beta: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
    """Retention rate in period ``t`` (1 = the first): the share of period ``t - 1``'s survivors kept."""
    a, b, tt = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float), np.asarray(t, dtype=float)
    out: FloatArray = (b + tt - 1) / (a + b + tt - 1)
    return out


def classic_survival(years: npt.ArrayLike) -> FloatArray:
    """The classic curve: 1 → 0.5 → 0.275 → 0.165 after 1, 2, 3 years.

    Past year 3 the retention rate keeps rising as the sBG with α = β = 4.5 does (62.5%, 65.4%, ...);
    between whole years the curve is log-linear.
    """
    y = np.asarray(years, dtype=float)
    if bool((y < 0).any()):
        raise DomainError("classic curve: years must not be negative")
    last = int(np.ceil(float(y.max()))) if y.size else 0
    rates = np.array(
        [CLASSIC_RETENTION[i] if i < len(CLASSIC_RETENTION) else float(sbg_retention(4.5, 4.5, i + 1)) for i in range(last)]
    )
    log_s = np.r_[0.0, np.cumsum(np.log(rates))]
    out: FloatArray = np.exp(np.interp(y, np.arange(last + 1, dtype=float), log_s))
    return out


class RetentionCurve(Protocol):
    """What the forecast needs from a retention curve: survival in its own periods, with draws."""

    periods_per_year: int

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """Survival after ``t`` periods: the point estimate."""
        ...

    def survival_draws(self, t: FloatArray, n_draws: int, random_state: int | np.random.Generator | None) -> FloatArray:
        """Survival after ``t`` periods, shape (n_draws, len(t)): one row per draw of the uncertain curve."""
        ...


class ClassicRetention:
    """The classic curve as a :class:`RetentionCurve` (yearly periods, no parameter uncertainty)."""

    periods_per_year = 1

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """Survival after ``t`` years."""
        return classic_survival(t)

    def survival_draws(self, t: FloatArray, n_draws: int, random_state: int | np.random.Generator | None) -> FloatArray:
        """The same curve in every draw: the classic figures carry no estimate to be uncertain about."""
        return np.broadcast_to(classic_survival(t), (n_draws, len(t))).copy()


class ShiftedBetaGeometric:
    """The shifted-beta-geometric retention model, fitted by maximum likelihood (Fader & Hardie 2007).

    Parameters
    ----------
    periods_per_year : int
        The length of one period of the input: 1 (years), 4 (quarters), 12 (months), ...

    Attributes
    ----------
    alpha_, beta_ : float
        The fitted Beta(α, β) of the churn probability.
    cov_ : ndarray of shape (2, 2)
        Covariance of (log α, log β) from the inverse Hessian of the log-likelihood; NaN when the
        Hessian is not positive definite (a flat likelihood).
    log_likelihood_ : float
    n_customers_, n_lost_, max_period_ : int
        Customers fitted, losses among them, and the longest tenure seen (periods).
    at_bound_ : bool
        True when α or β ended at the search bound (e^±9): the data barely constrain it.
    """

    def __init__(self, periods_per_year: int = 1) -> None:
        self.periods_per_year = periods_per_year

    def fit(self, periods: npt.ArrayLike, lost: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None) -> Self:
        """Fit from each customer's whole periods survived and whether it was lost after them.

        A lost customer with ``periods = k`` stayed ``k`` periods and left in period ``k + 1``
        (``P(T = k + 1)``); one not lost is known to have survived ``k`` periods (``S(k)``,
        right-censored). ``sample_weight`` counts customers (for aggregated input).
        """
        if self.periods_per_year < 1:
            raise DomainError(f"periods per year must be at least 1, got {self.periods_per_year}")
        k = np.asarray(periods, dtype=float)
        gone = np.asarray(lost, dtype=bool)
        w = np.ones_like(k) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if not (k.shape == gone.shape == w.shape) or k.ndim != 1:
            raise DomainError("sBG: periods, lost and weights must be one-dimensional and of the same length")
        if bool((k < 0).any() or (k != np.floor(k)).any()):
            raise DomainError("sBG: periods survived must be whole numbers of at least 0")
        if float(w[gone].sum()) <= 0:
            raise DomainError.of(gettext_noop("sBG: no customer was lost, so no churn rate can be estimated"))
        if float(w[~gone & (k > 0)].sum()) + float(w[gone & (k > 0)].sum()) <= 0:
            raise DomainError.of(gettext_noop("sBG: no customer stayed a whole period, so no retention can be estimated"))
        lost_at, lost_n = np.unique(k[gone], return_inverse=True)
        lost_w = np.bincount(lost_n, weights=w[gone])
        kept_at, kept_n = np.unique(k[~gone], return_inverse=True)
        kept_w = np.bincount(kept_n, weights=w[~gone])

        def nll(theta: FloatArray) -> FloatArray:
            # theta has shape (2, ...) so that the Hessian can evaluate many points at once
            a = np.exp(theta[0])[..., None]
            b = np.exp(theta[1])[..., None]
            base = special.betaln(a, b)
            churn = special.betaln(a + 1, b + lost_at) - base  # leaves in period k + 1
            stay = special.betaln(a, b + kept_at) - base
            out: FloatArray = -((churn * lost_w).sum(axis=-1) + (stay * kept_w).sum(axis=-1))
            return out

        bounds = [(-_LOG_BOUND, _LOG_BOUND)] * 2
        result = optimize.minimize(lambda x: float(nll(np.asarray(x))), x0=np.zeros(2), method="L-BFGS-B", bounds=bounds)
        if not result.success:
            raise DomainError(f"sBG: the likelihood could not be maximised ({result.message})")
        theta = np.asarray(result.x, dtype=float)
        h = np.asarray(hessian(nll, theta).ddf, dtype=float)
        h = (h + h.T) / 2  # finite differences leave it a hair off symmetric
        with np.errstate(invalid="ignore"):
            positive = bool(np.all(np.isfinite(h))) and bool(np.all(np.linalg.eigvalsh(h) > 0))
        self.cov_ = np.linalg.inv(h) if positive else np.full((2, 2), np.nan)
        self.alpha_ = float(np.exp(theta[0]))
        self.beta_ = float(np.exp(theta[1]))
        self.log_likelihood_ = -float(result.fun)
        self.n_customers_ = round(float(w.sum()))
        self.n_lost_ = round(float(w[gone].sum()))
        self.max_period_ = int(k.max())
        self.at_bound_ = bool(np.any(np.abs(theta) >= _LOG_BOUND - 1e-6))
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "alpha_"):
            raise DomainError("sBG: call fit() first")

    def survival(self, t: npt.ArrayLike) -> FloatArray:
        """Share still there after ``t`` periods."""
        self._check_fitted()
        return sbg_survival(self.alpha_, self.beta_, t)

    def retention_rate(self, t: npt.ArrayLike) -> FloatArray:
        """Retention rate in period ``t`` (1 = the first)."""
        self._check_fitted()
        return sbg_retention(self.alpha_, self.beta_, t)

    def parameter_draws(self, n_draws: int, random_state: int | np.random.Generator | None) -> tuple[FloatArray, FloatArray]:
        """Draw (α, β) from the estimate's normal approximation on the log scale (a parametric bootstrap).

        Where the covariance is unknown (NaN), every draw is the estimate itself.
        """
        self._check_fitted()
        rng = np.random.default_rng(random_state)
        mean = np.log([self.alpha_, self.beta_])
        if not bool(np.all(np.isfinite(self.cov_))):
            return np.full(n_draws, self.alpha_), np.full(n_draws, self.beta_)
        theta = rng.multivariate_normal(mean, self.cov_, size=n_draws)
        return np.exp(theta[:, 0]), np.exp(theta[:, 1])

    def survival_draws(self, t: FloatArray, n_draws: int, random_state: int | np.random.Generator | None) -> FloatArray:
        """Survival after ``t`` periods under ``n_draws`` parameter draws, shape (n_draws, len(t))."""
        a, b = self.parameter_draws(n_draws, random_state)
        return sbg_survival(a[:, None], b[:, None], np.asarray(t, dtype=float)[None, :])
