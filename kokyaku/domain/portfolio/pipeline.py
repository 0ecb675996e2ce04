"""One call from deals to a scored portfolio: the function a snapshot runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio.criteria import BandNote, CriteriaSpec, Thresholds, classify
from kokyaku.domain.portfolio.measures import deals_as_of, lifecycle, unit_price, win_probability

WHOLE_HISTORY_MONTHS = 1200  # a hundred years: every deal a CRM holds

RESULT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "unit_price",
    "win_probability",
    "probability_source",
    "expected_value",
    "price_band",
    "probability_band",
    "zone",
    "near_boundary",
    "lifecycle",
)


@dataclass(frozen=True)
class PortfolioResult:
    """The scored portfolio (one row per account, in the order given), the thresholds used and how
    each axis was cut (``band_notes``: ties broken, all values equal, ...; store them with the snapshot)."""

    frame: pd.DataFrame
    thresholds: Thresholds
    band_notes: tuple[BandNote, ...] = ()

    def band_notes_dict(self) -> dict[str, dict[str, object]]:
        """The notes as JSON-ready dicts keyed by axis ("price", "probability")."""
        return {n.axis: n.as_dict() for n in self.band_notes}


def compute_portfolio(
    account_ids: npt.ArrayLike,
    deals: pd.DataFrame,
    *,
    as_of: date,
    criteria: CriteriaSpec,
    dormancy_days: int = 365,
    model_probability: npt.ArrayLike | None = None,
    repeat_probability: npt.ArrayLike | None = None,
    at_risk_factor: float | None = None,
    at_risk_share: float = 0.5,
    new_days: int = 365,
    p_alive: npt.ArrayLike | None = None,
    churned: pd.DataFrame | None = None,
) -> PortfolioResult:
    """Score every account at ``as_of``: unit price, probability and source, EV, zone, flag, lifecycle.

    Only deals opened up to ``as_of`` count, with their status as it was then (see
    :func:`~kokyaku.domain.portfolio.measures.deals_as_of`). Unpriced accounts keep a NaN unit
    price and expected value and get no zone, like accounts with no probability; a dormant former
    customer with no amount in the look-back is priced from its whole history of won deals. The lifecycle
    takes ``dormancy_days``, ``new_days``, ``at_risk_factor``, ``at_risk_share``, ``p_alive`` and ``churned`` as
    :func:`~kokyaku.domain.portfolio.measures.lifecycle` does, except that the at-risk rule is off
    by default (``at_risk_factor=None``) until the snapshot row's lifecycle choices include
    "at_risk" and "churned"; pass ``at_risk_factor=2.0`` to turn it on.
    """
    ids = np.asarray(account_ids)
    if ids.ndim != 1:
        raise DomainError("account ids must be a one-dimensional array")
    d = deals_as_of(deals, as_of)
    life = lifecycle(
        ids,
        d,
        as_of=as_of,
        dormancy_days=dormancy_days,
        new_days=new_days,
        at_risk_factor=at_risk_factor,
        at_risk_share=at_risk_share,
        p_alive=p_alive,
        churned=churned,
    )
    price = unit_price(ids, d, as_of=as_of, lookback_months=criteria.lookback_months)
    # A dormant former customer whose last purchase fell before the look-back is priced from its whole
    # history of won deals, so that it is placed (the dormancy routine works on placed accounts).
    former = np.isnan(price) & (np.asarray(life, dtype=object) == "dormant")
    if former.any():
        whole = unit_price(ids, d, as_of=as_of, lookback_months=WHOLE_HISTORY_MONTHS, statuses=("won",))
        price = np.where(former, whole, price)
    prob, source = win_probability(
        ids,
        d,
        as_of=as_of,
        stage_probabilities=criteria.stage_probabilities,
        model_probability=model_probability,
        repeat_probability=repeat_probability,
        period_days=criteria.history_period_days,
        periods=criteria.history_periods,
    )
    cls = classify(price, prob, criteria)
    frame = pd.DataFrame(
        {
            "account_id": ids,
            "unit_price": price,
            "win_probability": prob,
            "probability_source": source,
            "expected_value": price * prob,
            "price_band": cls.price_band,
            "probability_band": cls.probability_band,
            "zone": cls.zone,
            "near_boundary": cls.near_boundary,
            "lifecycle": life,
        },
        columns=list(RESULT_COLUMNS),
    )
    return PortfolioResult(frame, cls.thresholds, cls.notes)
