"""The deal model, the naive-Bayes baseline and BG/NBD: contracts, hand-computed values, planted effects."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from benchmarks.prediction_data import demo_frames, maven_frames
from kokyaku.domain.errors import DomainError
from kokyaku.domain.prediction import (
    FEATURES,
    BetaGeoModel,
    DealWinModel,
    NaiveBayesScorer,
    evaluate_deals,
    rfm_summary,
)

AS_OF = date(2026, 6, 30)


def features(n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame({f: np.full(n, np.nan) for f in FEATURES})
    frame["amount_log"] = rng.normal(14, 1, n)
    frame["buyer_type"] = rng.choice(["conservative", "skeptic"], n)
    return frame


def test_the_deal_model_follows_the_estimator_contract() -> None:
    model = DealWinModel(prior_deals=10.0, random_state=3)
    assert model.get_params()["prior_deals"] == 10.0
    assert clone(model).get_params() == model.get_params()
    assert not hasattr(model, "base_rate_")
    rng = np.random.default_rng(0)
    X = features(400, rng)
    y = (X["buyer_type"] == "conservative").to_numpy() & (rng.random(400) < 0.8)
    assert model.fit(X, y) is model
    p = model.predict_proba(X)
    assert p.shape == (400, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    # The planted effect: conservatives win far more often than skeptics.
    assert (
        p[(X["buyer_type"] == "conservative").to_numpy(), 1].mean() > p[(X["buyer_type"] == "skeptic").to_numpy(), 1].mean() + 0.4
    )


def test_with_few_closed_deals_the_model_predicts_the_base_rate_and_says_why() -> None:
    rng = np.random.default_rng(1)
    X = features(30, rng)
    y = np.r_[np.ones(12), np.zeros(18)]
    model = DealWinModel(min_deals=40).fit(X, y)
    assert model.reason_ == "too_few_closed_deals"
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 0.4)
    assert set(model.explain(X)["feature_1"]) == {""}


def test_predictions_are_shrunk_toward_the_base_rate_by_n_over_n_plus_prior() -> None:
    rng = np.random.default_rng(2)
    X = features(300, rng)
    y = (X["buyer_type"] == "conservative").to_numpy()
    loose = DealWinModel(prior_deals=0.0, candidates=("logistic",)).fit(X, y)
    tight = DealWinModel(prior_deals=300.0, candidates=("logistic",)).fit(X, y)
    base = y.mean()
    # Same calibrated model, weight 300 / (300 + 300) = 0.5 on it.
    expected = np.clip(0.5 * loose.predict_proba(X)[:, 1] + 0.5 * base, 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(tight.predict_proba(X)[:, 1], expected, atol=1e-9)


def test_each_explanation_names_the_feature_whose_typical_value_changes_the_probability_most() -> None:
    rng = np.random.default_rng(3)
    X = features(600, rng)
    y = ((X["buyer_type"] == "conservative").to_numpy() & (rng.random(600) < 0.9)) | (rng.random(600) < 0.05)
    model = DealWinModel(candidates=("logistic",)).fit(X, y)
    why = model.explain(X.head(40))
    typical = (X["buyer_type"].head(40) == model.reference_["buyer_type"]).to_numpy()
    assert typical.any()
    assert (~typical).any()
    assert set(why.loc[~typical, "feature_1"]) == {"buyer_type"}  # amount is noise
    # A deal with the typical buyer type: that feature moved nothing.
    assert "buyer_type" not in set(why.loc[typical, "feature_1"])
    row = X.head(40).loc[~typical].head(1).copy()
    p = model.predict_proba(row)[0, 1]
    row["buyer_type"] = model.reference_["buyer_type"]
    first = why.loc[row.index[0]]
    assert first["effect_1"] == pytest.approx(p - model.predict_proba(row)[0, 1])
    assert first["value_1"] == X.loc[row.index[0], "buyer_type"]


def test_on_the_demo_data_the_deal_model_beats_every_baseline_on_brier_and_auc() -> None:
    fr = demo_frames(accounts=2000, seed=7, as_of=AS_OF)
    report = evaluate_deals(fr.crm(), as_of=AS_OF)
    m = report["metrics"]
    assert report["serving"] == "model"
    assert report["reason"] == "model_beats_base_rate"
    assert {"base_rate", "naive_bayes", "history"} <= set(m)
    for name in set(m) - {"model"}:
        assert m["model"]["brier"] < m[name]["brier"], name
        assert m[name]["auc"] is None or m["model"]["auc"] > m[name]["auc"], name
    for name, pair in report["paired"].items():
        assert pair["model"]["brier"] < pair[name]["brier"], name
    assert m["model"]["auc"] > 0.68
    assert report["importance"][0]["feature"] == "buyer_type"  # the largest planted effect


def test_on_maven_the_model_is_no_better_than_the_base_rate_so_the_base_rate_serves() -> None:
    fr = maven_frames()
    report = evaluate_deals(fr.crm(), as_of=date(2017, 12, 31))
    assert report["model"]["dropped_features"]["amount_log"] == "amount_records_outcome"
    assert report["serving"] == "base_rate"
    assert report["reason"] == "model_not_better_than_base_rate"
    assert report["metrics"]["model"]["brier"] >= report["metrics"]["base_rate"]["brier"]
    assert 0.4 < report["metrics"]["model"]["auc"] < 0.6


def test_naive_bayes_matches_the_odoo_formula_by_hand() -> None:
    X = pd.DataFrame({"product": ["a", "a", "a", "b"], "region": ["x", "y", "x", "x"]})
    y = np.array([1, 1, 0, 0])
    nb = NaiveBayesScorer(fields=("product", "region")).fit(X, y)
    # S(won) = P(won) * P(a|won) * P(x|won) with +0.1 on every count:
    won = (2.1 / 4.2) * (2.1 / 2.1) * (1.1 / 2.1)
    lost = (2.1 / 4.2) * (1.1 / 2.1) * (2.1 / 2.1)
    p = nb.predict_proba(pd.DataFrame({"product": ["a"], "region": ["x"]}))[0, 1]
    assert p == pytest.approx(won / (won + lost))
    # A value never seen is left out; an unknown team uses the company's tables.
    p2 = nb.predict_proba(pd.DataFrame({"product": ["a"], "region": ["zzz"]}), team=["other"])[0, 1]
    assert p2 == pytest.approx(((2.1 / 4.2) * 1.0) / ((2.1 / 4.2) * 1.0 + (2.1 / 4.2) * (1.1 / 2.1)))


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, horizon: float, seed: int) -> pd.DataFrame:
    """Draw purchase histories from the BG/NBD story itself (every customer starts at 0)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        gap = rng.exponential(1 / lam)
        t = np.where(alive, t + gap, t)
        bought = alive & (t <= horizon)
        x += bought
        tx = np.where(bought, t, tx)
        alive = bought & (rng.random(n) >= p)
    return pd.DataFrame({"frequency": x, "recency": tx, "age": np.full(n, horizon)})


def test_bgnbd_recovers_the_parameters_it_was_drawn_with() -> None:
    data = simulate_bgnbd(20_000, r=0.25, alpha=4.0, a=0.8, b=2.5, horizon=39.0, seed=5)
    model = BetaGeoModel().fit(data["frequency"], data["recency"], data["age"])
    assert model.r_ == pytest.approx(0.25, rel=0.15)
    assert model.alpha_ == pytest.approx(4.0, rel=0.25)
    assert model.a_ == pytest.approx(0.8, rel=0.3)
    assert model.b_ == pytest.approx(2.5, rel=0.4)


def test_bgnbd_probabilities_match_the_closed_forms_by_hand() -> None:
    model = BetaGeoModel()
    model.r_, model.alpha_, model.a_, model.b_ = 0.5, 2.0, 1.0, 3.0
    # x = 2, t_x = 4, T = 10: P(alive) = 1 / (1 + a/(b+x-1) * ((α+T)/(α+t_x))^(r+x))
    odds = (1.0 / 4.0) * (12.0 / 6.0) ** 2.5
    assert model.p_alive([2], [4], [10])[0] == pytest.approx(1 / (1 + odds))
    assert model.p_alive([0], [0], [10])[0] == 1.0  # no repeat purchase: no chance to drop out yet
    expected = (1 / (1 + odds)) * (1 - (12.0 / 16.0) ** 2.5)
    assert model.p_purchase([2], [4], [10], horizon=4.0)[0] == pytest.approx(expected)
    # Recency matters: the same frequency bought long ago is less likely alive.
    assert model.p_alive([2], [1], [10])[0] < model.p_alive([2], [9], [10])[0]


def test_bgnbd_scores_a_million_accounts_in_one_call() -> None:
    model = BetaGeoModel()
    model.r_, model.alpha_, model.a_, model.b_ = 0.5, 2.0, 1.0, 3.0
    rng = np.random.default_rng(0)
    t = rng.uniform(1, 100, 1_000_000)
    tx = t * rng.random(1_000_000)
    x = rng.poisson(3, 1_000_000)
    p = model.p_purchase(x, tx, t, horizon=13.0)
    assert p.shape == (1_000_000,)
    assert bool(((p >= 0) & (p <= 1)).all())


def test_rfm_counts_purchase_days_and_measures_weeks_from_the_first() -> None:
    d = pd.DataFrame(
        {
            "account_id": [1, 1, 1, 1, 2],
            "status": ["won", "won", "won", "lost", "won"],
            "closed_on": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-15", "2026-01-20", "2026-07-01"]),
        }
    )
    rfm = rfm_summary([1, 2, 3], d, as_of=date(2026, 1, 29))
    assert rfm.loc[1, "frequency"] == 1  # two days with a purchase; the lost deal is none
    assert rfm.loc[1, "recency"] == pytest.approx(2.0)
    assert rfm.loc[1, "age"] == pytest.approx(4.0)
    assert rfm.loc[2, "purchases"] == 0  # bought after the as-of date
    assert np.isnan(rfm["age"].to_numpy()[2])
    with pytest.raises(DomainError, match="purchase"):
        BetaGeoModel().fit(rfm["frequency"], rfm["recency"], rfm["age"])
