"""Metrics by hand, the serving rule into the portfolio, the back-test, and stored models."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from benchmarks.prediction_data import demo_frames
from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import CriteriaSpec, compute_portfolio
from kokyaku.domain.prediction import (
    BetaGeoModel,
    DealWinModel,
    account_probabilities,
    backtest,
    decile_table,
    expected_calibration_error,
    from_bytes,
    read_header,
    score,
    score_open_deals,
    to_bytes,
    train_deal_model,
    versus_price,
)
from kokyaku.domain.prediction.persist import MAGIC

AS_OF = date(2026, 6, 30)


def test_ece_is_the_weighted_gap_between_predicted_and_actual_per_bin() -> None:
    y = [0, 1, 1, 1]
    p = [0.05, 0.05, 0.95, 0.95]
    # bin 0: mean p 0.05 vs actual 0.5 (2 deals); bin 9: 0.95 vs 1.0 (2 deals)
    assert expected_calibration_error(y, p) == pytest.approx((2 * 0.45 + 2 * 0.05) / 4)
    s = score(y, p)
    assert s["brier"] == pytest.approx((0.05**2 + 0.95**2 + 0.05**2 + 0.05**2) / 4)
    assert s["auc"] == pytest.approx(0.8333333)  # 5 of the 6 won/lost pairs ordered right, one tie
    assert s["n"] == 4
    assert score([1, 1], [0.5, 0.5])["auc"] is None


def test_the_decile_table_compares_predicted_and_actual_from_lowest_to_highest() -> None:
    p = np.linspace(0.0, 0.99, 100)
    y = (p > 0.5).astype(int)
    t = decile_table(y, p)
    assert list(t["decile"]) == list(range(1, 11))
    assert list(t["n"]) == [10] * 10
    assert t["actual"].iloc[0] == 0.0
    assert t["actual"].iloc[-1] == 1.0
    assert t["predicted"].is_monotonic_increasing


def test_a_stored_model_loads_back_with_the_same_predictions_and_metadata() -> None:
    fr = demo_frames(accounts=1500, seed=2, as_of=AS_OF)
    model = train_deal_model(fr.crm(), as_of=AS_OF)
    payload = to_bytes(model, meta={"trained_as_of": AS_OF.isoformat(), "version": 3})
    assert read_header(payload)["meta"] == {"trained_as_of": "2026-06-30", "version": 3}
    loaded, meta = from_bytes(payload)
    assert meta["version"] == 3
    assert isinstance(loaded, DealWinModel)
    before = score_open_deals(model, fr.crm(), as_of=AS_OF)
    after = score_open_deals(loaded, fr.crm(), as_of=AS_OF)
    pd.testing.assert_frame_equal(before, after)
    bg = BetaGeoModel()
    bg.r_, bg.alpha_, bg.a_, bg.b_, bg.n_accounts_ = 0.5, 2.0, 1.0, 3.0, 10
    bg2, _ = from_bytes(to_bytes(bg))
    assert isinstance(bg2, BetaGeoModel)
    assert bg2.p_alive([2], [4], [10])[0] == bg.p_alive([2], [4], [10])[0]


def test_a_tampered_payload_is_refused_and_nothing_in_it_runs() -> None:
    fr = demo_frames(accounts=600, seed=2, as_of=AS_OF)
    model = train_deal_model(fr.crm(), as_of=AS_OF, candidates=("logistic",))
    payload = bytearray(to_bytes(model))
    payload[-10] ^= 0xFF
    with pytest.raises(DomainError, match="checksum"):
        from_bytes(bytes(payload))
    # An attacker who also rewrites the checksum: a callable smuggled into the model is refused.
    model.on_load_ = os.system
    body = sio.dumps(model)
    header = {"kind": "deal", "sha256": hashlib.sha256(body).hexdigest(), "meta": {}}
    forged = MAGIC + json.dumps(header).encode() + b"\n" + body
    with pytest.raises(DomainError, match=r"not trusted: .*system"):
        from_bytes(forged)
    with pytest.raises(DomainError, match="magic"):
        from_bytes(b"\x80\x04pickle")


def test_the_serving_rule_decides_which_probabilities_reach_the_portfolio() -> None:
    deals = pd.DataFrame(
        {
            "deal_id": [1, 2, 3, 4],
            "account_id": [10, 10, 20, 30],
            "owner_id": np.nan,
            "product": "",
            "status": ["open", "open", "won", "won"],
            "amount": [100.0, 300.0, 50.0, 80.0],
            "probability": [90.0, np.nan, np.nan, np.nan],
            "stage": "",
            "opened_on": pd.to_datetime(["2026-06-01", "2026-06-01", "2026-01-05", "2026-04-05"]),
            "closed_on": pd.to_datetime(pd.Series([None, None, "2026-01-05", "2026-04-05"])),
        }
    )
    scored = pd.DataFrame({"deal_id": [1, 2], "account_id": [10, 10], "amount": [100.0, 300.0], "probability": [0.2, 0.6]})
    bg = BetaGeoModel()
    bg.r_, bg.alpha_, bg.a_, bg.b_ = 0.5, 2.0, 1.0, 3.0
    ids = [10, 20, 30, 40]
    serving = {"deal": {"serving": "model"}, "repeat": {"serving": "model"}}
    ap = account_probabilities(ids, deals=deals, as_of=AS_OF, report=serving, scored=scored, repeat_model=bg)
    assert ap.model_probability[0] == pytest.approx((0.2 * 100 + 0.6 * 300) / 400)  # amount-weighted
    assert np.isnan(ap.model_probability[1:]).all()
    assert np.isfinite(ap.repeat_probability[1:3]).all()
    assert np.isnan(ap.repeat_probability[3])
    result = compute_portfolio(
        ids,
        deals,
        as_of=AS_OF,
        criteria=CriteriaSpec(),
        model_probability=ap.model_probability,
        repeat_probability=ap.repeat_probability,
    ).frame
    assert list(result["probability_source"]) == ["model", "model", "model", "none"]
    assert result["win_probability"].iloc[2] == pytest.approx(ap.repeat_probability[2])
    # Neither model serves: the rep's number, then the quarter share, as before.
    off = {"deal": {"serving": "base_rate"}, "repeat": {"serving": "history"}}
    ap = account_probabilities(ids, deals=deals, as_of=AS_OF, report=off, scored=scored, repeat_model=bg)
    assert np.isnan(ap.model_probability).all()
    assert np.isnan(ap.repeat_probability).all()
    result = compute_portfolio(ids, deals, as_of=AS_OF, criteria=CriteriaSpec(), model_probability=ap.model_probability).frame
    assert list(result["probability_source"]) == ["rep", "history", "history", "none"]
    with pytest.raises(DomainError, match="scored open deals"):
        account_probabilities(ids, deals=deals, as_of=AS_OF, report=serving, repeat_model=bg)


def test_the_backtest_sums_later_revenue_per_zone_and_against_price_alone() -> None:
    portfolio = pd.DataFrame(
        {
            "account_id": [1, 2, 3, 4, 5, 6],
            "unit_price": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "zone": ["C", "A", "B", "C", "A", ""],
        }
    )
    deals = pd.DataFrame(
        {
            "account_id": [1, 2, 2, 4, 5, 5, 6],
            "status": ["won", "won", "won", "won", "won", "lost", "won"],
            "amount": [5.0, 100.0, 50.0, 7.0, 300.0, 999.0, 10.0],
            "closed_on": pd.to_datetime(
                ["2026-07-10", "2026-08-01", "2026-12-31", "2026-07-01", "2027-01-01", "2026-08-01", "2026-06-30"]
            ),
        }
    )
    out = backtest(portfolio, deals, as_of=AS_OF, horizon_months=6)
    assert (out["start"], out["end"]) == ("2026-07-01", "2026-12-31")
    # A: accounts 2 (150) and 5 (300 falls on 2027-01-01, outside; lost deals never count) -> 150 / 2
    assert out["zones"]["A"] == {"accounts": 2, "revenue": 150.0, "per_account": 75.0}
    assert out["zones"]["C"] == {"accounts": 2, "revenue": 12.0, "per_account": 6.0}
    assert out["zones"]["unzoned"]["revenue"] == 0.0  # account 6 bought on the as-of date itself
    assert out["a_over_c"] == pytest.approx(12.5)
    assert out["a_capture"] == pytest.approx(150 / 162, abs=1e-4)  # rounded to 4 places
    assert out["a_share_accounts"] == pytest.approx(2 / 5)
    # Price alone: terciles of 10..60 -> A = 50, 60 (accounts 5, 6): no revenue in the window.
    assert out["price_only"]["zones"]["A"]["accounts"] == 2
    assert out["price_only"]["zones"]["A"]["revenue"] == 0.0


def test_zone_a_is_compared_with_the_same_number_of_top_priced_accounts_and_given_a_verdict() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    price = rng.uniform(1.0, 100.0, n)
    noise = rng.uniform(0.0, 1.0, n)
    # Later revenue follows a hidden quality the probability axis sees; unit price is noise.
    revenue = np.where(noise > 0.6, 1000.0, 10.0)
    zone = np.where(noise > 0.6, "A", "C").astype(object)
    out = versus_price(zone, price, revenue)
    assert out["a_accounts"] == int((noise > 0.6).sum())
    assert out["same_size"] > 2.0
    assert out["same_size_interval"][0] > 1.0
    assert out["verdict"] == "clearly_better"
    # Zone A picked by price itself: the same accounts as the top-priced ones -> ratio 1, not clearly better.
    top = np.argsort(-price)[: out["a_accounts"]]
    by_price = np.full(n, "C", dtype=object)
    by_price[top] = "A"
    same = versus_price(by_price, price, revenue)
    assert same["same_size"] == pytest.approx(1.0)
    assert same["verdict"] == "not_clearly_better"
    # Zone A on the accounts that buy least: worse than price alone, and said so.
    worse = versus_price(np.where(noise > 0.6, "C", "A").astype(object), price, revenue)
    assert worse["same_size_interval"][1] < 1.0
    assert worse["verdict"] == "worse"
    # No zone A: no ratio, no verdict of better.
    empty = versus_price(np.full(n, "C", dtype=object), price, revenue)
    assert empty["same_size"] is None
    assert empty["verdict"] == "not_clearly_better"
    with pytest.raises(DomainError, match="differ in length"):
        versus_price(zone[:-1], price, revenue)
