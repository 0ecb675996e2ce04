"""The simple alternatives every model is measured against, in the same run on the same split.

The base rate, the stage table and the rep's own number need no fitting (see
:mod:`kokyaku.domain.prediction.evaluate`); this module holds the one that learns: the
naive-Bayes scorer of the kind Odoo's predictive lead scoring ships.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError

FloatArray = npt.NDArray[np.float64]
NB_FIELDS: tuple[str, ...] = ("stage", "product", "industry", "region", "buyer_type", "owner", "tier")


class NaiveBayesScorer:
    """Odoo-style naive Bayes over categorical fields, one frequency table per team.

    For each team, every (field, value) seen on a won or lost deal gets a won count and a lost
    count, each plus ``smoothing`` (Odoo adds 0.1). A deal's scores are
    ``S(won) = P(won) * prod P(value | won)`` and the same for lost, over the fields it has a value
    for; the probability is ``S(won) / (S(won) + S(lost))``. A team with no closed deal uses the
    whole company's tables; a value never seen on a closed deal is left out, as Odoo does.

    Parameters
    ----------
    fields : tuple of str
        Feature codes (columns of the feature frame) to count.
    smoothing : float
        Added to every won and lost count.
    """

    def __init__(self, fields: tuple[str, ...] = NB_FIELDS, smoothing: float = 0.1) -> None:
        self.fields = fields
        self.smoothing = smoothing

    @staticmethod
    def _teams(team: npt.ArrayLike | None, n: int) -> npt.NDArray[np.object_]:
        if team is None:
            return np.full(n, "", dtype=object)
        t = pd.Series(np.asarray(team, dtype=object))
        return t.where(t.notna(), "").astype(str).to_numpy(dtype=object)

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike, *, team: npt.ArrayLike | None = None) -> Self:
        """Count won and lost deals per (team, field, value); ``team`` is one label per deal (None: one team)."""
        won = np.asarray(y, dtype=float)
        if len(won) != len(X):
            raise DomainError(f"naive Bayes: features ({len(X)}) and outcomes ({len(won)}) differ in length")
        teams = self._teams(team, len(X))
        fields = [f for f in self.fields if f in X.columns]
        frames = []
        for scope in ("team", "all"):
            for f in fields:
                v = X[f]
                has = v.notna().to_numpy()
                frames.append(
                    pd.DataFrame(
                        {
                            "team": teams[has] if scope == "team" else "\x00all",
                            "field": f,
                            "value": v[has].astype(str).to_numpy(),
                            "won": won[has],
                        }
                    )
                )
        long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["team", "field", "value", "won"])
        counts = long.groupby(["team", "field", "value"], sort=False)["won"].agg(["sum", "size"])
        self.counts_ = pd.DataFrame({"won": counts["sum"].astype(float), "lost": (counts["size"] - counts["sum"]).astype(float)})
        totals = pd.DataFrame({"team": teams, "won": won}).groupby("team")["won"].agg(["sum", "size"])
        self.team_totals_ = pd.DataFrame(
            {"won": totals["sum"].astype(float), "lost": (totals["size"] - totals["sum"]).astype(float)}
        )
        self.team_totals_.loc["\x00all"] = [float(won.sum()), float(len(won) - won.sum())]
        self.fields_ = fields
        return self

    def predict_proba(self, X: pd.DataFrame, *, team: npt.ArrayLike | None = None) -> FloatArray:
        """Return an (n, 2) array: P(lost), P(won) per deal."""
        if not hasattr(self, "counts_"):
            raise DomainError("naive Bayes: call fit() before predict_proba()")
        n = len(X)
        teams = self._teams(team, n)
        known = pd.Index(self.team_totals_.index)
        scope = np.where(known.get_indexer(teams) >= 0, teams, "\x00all")
        totals = self.team_totals_.reindex(scope)
        tw = totals["won"].to_numpy() + self.smoothing
        tl = totals["lost"].to_numpy() + self.smoothing
        log_w = np.log(tw / (tw + tl))
        log_l = np.log(tl / (tw + tl))
        for f in self.fields_:
            v = X[f]
            has = v.notna().to_numpy()
            key = pd.MultiIndex.from_arrays([scope[has], np.full(int(has.sum()), f, dtype=object), v[has].astype(str).to_numpy()])
            c = self.counts_.reindex(key)
            seen = c["won"].notna().to_numpy()
            rows = np.flatnonzero(has)[seen]
            cw = c["won"].to_numpy()[seen] + self.smoothing
            cl = c["lost"].to_numpy()[seen] + self.smoothing
            log_w[rows] += np.log(cw / tw[rows])
            log_l[rows] += np.log(cl / tl[rows])
        p = 1.0 / (1.0 + np.exp(log_l - log_w))
        return np.column_stack([1 - p, p])
