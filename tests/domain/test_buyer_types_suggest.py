"""Behaviour features, the rule-based suggestion with its reasons, the learned one, and the agreement report."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kokyaku.domain.buyer_types import (
    FEATURES,
    SIGNAL_CODES,
    BuyerTypeModel,
    History,
    agreement_report,
    behaviour_features,
    cross_fit_suggest,
    evaluate_suggestions,
    suggest_buyer_types,
)
from kokyaku.domain.errors import DomainError

AS_OF = date(2026, 6, 30)
NAT = None


def frame(columns: list[str], *rows: tuple[object, ...], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    f = pd.DataFrame(list(rows), columns=columns)
    for c in dates:
        f[c] = pd.to_datetime(f[c])
    return f


PRODUCTS = frame(
    ["product", "launched_on", "service"],
    ("Old", "2020-01-01", False),
    ("New", "2026-01-01", False),
    ("Care", "2015-01-01", True),
    ("Mystery", None, False),
    dates=("launched_on",),
)
DEALS = frame(
    ["account_id", "status", "product", "opened_on", "closed_on"],
    (1, "won", "New", "2026-02-01", "2026-03-01"),  # early (31 days after launch), cycle 28
    (1, "lost", "Old", "2025-01-01", "2025-05-01"),  # cycle 120
    (1, "open", "New", "2026-07-15", NAT),  # opened after as_of: not known yet
    (2, "won", "Care", "2024-01-01", "2024-01-11"),
    (2, "won", "Care", "2025-01-01", "2025-01-21"),
    (2, "won", "Care", "2026-01-01", "2026-01-31"),
    (2, "lost", "Mystery", "2026-03-01", "2026-03-05"),  # no launch date: never early
    (4, "won", "Old", "2026-06-01", "2026-07-10"),  # closes after as_of: still open then
    (5, "won", "New", "2026-12-31", "2027-01-10"),  # 364 days after launch, but after as_of
    (6, "lost", "New", "2026-12-31", "2027-01-02"),
    (99, "won", "Old", "2026-01-01", "2026-01-02"),  # an account not asked for
    (4, "lost", "Old", "2026-05-01", NAT),  # closed without a date: closed the day it opened
    dates=("opened_on", "closed_on"),
)
KEY_PERSONS = frame(["account_id"], (3,), (3,), (3,), (1,), (99,))
OBJECTIONS = frame(["account_id", "date"], (3, "2026-05-01"), (3, "2026-07-01"), (2, "2026-03-02"), dates=("date",))


def features() -> pd.DataFrame:
    return behaviour_features([1, 2, 3, 4], DEALS, products=PRODUCTS, key_persons=KEY_PERSONS, objections=OBJECTIONS, as_of=AS_OF)


def test_features_count_what_each_account_did_up_to_as_of() -> None:
    f = features()
    assert list(f.columns) == list(FEATURES)
    assert list(f.index) == [1, 2, 3, 4]
    assert list(f.loc[1, ["deals", "closed", "won", "lost", "early_deals"]]) == [2, 2, 1, 1, 1]
    assert f.loc[1, "early_share"] == 0.5
    assert f.loc[1, "median_cycle_days"] == (28 + 120) / 2
    assert f.loc[1, "key_persons"] == 1
    assert list(f.loc[2, ["deals", "won", "lost", "service_wins", "early_deals"]]) == [4, 3, 1, 3, 0]
    assert f.loc[2, "service_share"] == 1.0
    assert f.loc[2, "median_cycle_days"] == 15.0  # cycles 10, 20, 30, 4
    assert f.loc[2, "lost_share"] == 0.25
    assert f.loc[2, "objections_per_deal"] == 0.25
    assert list(f.loc[3, ["deals", "key_persons", "objections"]]) == [0, 3, 1]  # one objection after as_of
    assert f.loc[3, "objections_per_deal"] == 1.0
    assert np.isnan(f["median_cycle_days"].to_numpy()[2])
    assert np.isnan(f["lost_share"].to_numpy()[2])
    assert list(f.loc[4, ["deals", "closed", "won", "lost"]]) == [2, 1, 0, 1]
    assert f.loc[4, "median_cycle_days"] == 0.0


def test_a_product_is_new_for_early_days_after_its_launch() -> None:
    late = behaviour_features(
        [5], DEALS, products=PRODUCTS, key_persons=KEY_PERSONS, objections=OBJECTIONS, as_of=date(2027, 2, 1)
    )
    assert late.loc[5, "early_deals"] == 1  # opened 364 days after the launch
    short = behaviour_features(
        [5], DEALS, products=PRODUCTS, key_persons=KEY_PERSONS, objections=OBJECTIONS, as_of=date(2027, 2, 1), early_days=364
    )
    assert short.loc[5, "early_deals"] == 0


def test_features_reject_missing_columns_and_duplicate_accounts() -> None:
    with pytest.raises(DomainError, match="deals: missing column"):
        behaviour_features(
            [1], DEALS.drop(columns="product"), products=PRODUCTS, key_persons=KEY_PERSONS, objections=OBJECTIONS, as_of=AS_OF
        )
    with pytest.raises(DomainError, match="unknown status"):
        behaviour_features(
            [1], DEALS.assign(status="pending"), products=PRODUCTS, key_persons=KEY_PERSONS, objections=OBJECTIONS, as_of=AS_OF
        )
    with pytest.raises(DomainError, match="unique"):
        behaviour_features([1, 1], DEALS, products=PRODUCTS, key_persons=KEY_PERSONS, objections=OBJECTIONS, as_of=AS_OF)


def made(**columns: list[float]) -> pd.DataFrame:
    """A features frame: given columns, zero elsewhere, history enough unless told."""
    n = len(next(iter(columns.values())))
    base = {c: [0.0] * n for c in FEATURES}
    base["deals"], base["closed"] = [4.0] * n, [3.0] * n
    base.update(columns)
    return pd.DataFrame(base, index=pd.Index(range(100, 100 + n)))


def test_each_planted_behaviour_suggests_its_type() -> None:
    f = made(
        early_share=[0.5, 0, 0, 0],
        early_deals=[1, 0, 0, 0],
        median_cycle_days=[0, 150, 30, 0],
        key_persons=[0, 4, 0, 0],
        service_wins=[0, 0, 3, 0],
        service_share=[0, 0, 0.5, 0],
        objections_per_deal=[0, 0, 0, 1.2],
        lost_share=[0, 0, 0, 0.75],
    )
    s = suggest_buyer_types(f)
    assert list(s.buyer_type) == ["visionary", "pragmatist", "conservative", "skeptic"]
    # visionary: early share 0.5 -> 1, one early deal of two -> 0.5: mean 0.75.
    # conservative: three service wins -> 1, share 0.5 on 0.2..0.6 -> 0.75: mean 0.875.
    # skeptic: 1.2 objections per deal -> 1, lost share 0.75 on 0.5..1.0 -> 0.5: mean 0.75.
    np.testing.assert_allclose(s.score, [0.75, 1.0, 0.875, 0.75])


def test_the_reasons_give_the_signals_with_their_values_strongest_first() -> None:
    f = made(early_share=[0.5], early_deals=[1])
    (reasons,) = suggest_buyer_types(f).reasons([0])
    assert [(r.code, r.feature, r.value, r.strength, r.weight) for r in reasons] == [
        ("early_adopter", "early_share", 0.5, 1.0, 0.5),
        ("new_product_deals", "early_deals", 1.0, 0.5, 0.25),
    ]


def test_too_little_history_a_low_score_or_a_narrow_lead_is_unknown() -> None:
    f = made(
        deals=[1, 4, 4, 4],
        early_share=[1, 0.2, 0.5, 0],
        early_deals=[1, 0, 2, 0],
        objections_per_deal=[0, 0, 1.2, 0],
        lost_share=[0, 0, 0.8, 0],
    )
    s = suggest_buyer_types(f)
    # 1: one deal; 2: score 0.125 < 0.4; 3: visionary 1.0 leads skeptic 0.8 by 0.2 (>= 0.1).
    assert list(s.buyer_type[:2]) == ["unknown", "unknown"]
    assert s.buyer_type[2] == "visionary"
    assert s.buyer_type[3] == "unknown"  # nothing at all
    assert list(s.enough_history) == [False, True, True, True]
    assert suggest_buyer_types(f, min_margin=0.25).buyer_type[2] == "unknown"
    assert suggest_buyer_types(f, history=History(min_deals=1)).buyer_type[0] == "visionary"
    assert s.reasons([0]) == [[]]


def test_the_frame_lists_scores_and_signal_strengths() -> None:
    f = made(key_persons=[4], median_cycle_days=[90])
    out = suggest_buyer_types(f).frame()
    assert out.loc[100, "suggested"] == "pragmatist"
    assert out.loc[100, "several_key_persons"] == 1.0
    assert out.loc[100, "long_cycles"] == 0.5
    assert out.loc[100, "score_pragmatist"] == 0.75
    assert set(SIGNAL_CODES) <= set(out.columns)


# -- the learned model -------------------------------------------------------------------------------


def separable(n_per_type: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Accounts whose type shows in its own two signals, with noise on every signal."""
    rng = np.random.default_rng(seed)
    types = np.repeat(["visionary", "pragmatist", "conservative", "skeptic"], n_per_type)
    n = len(types)
    noise = rng.random((n, 8)) * 0.4
    cols = {
        "early_share": 0.1 + noise[:, 0] * 0.4 + (types == "visionary") * 0.4,
        "early_deals": noise[:, 1] * 2 + (types == "visionary") * 1.5,
        "median_cycle_days": 40 + noise[:, 2] * 100 + (types == "pragmatist") * 60,
        "key_persons": 1 + noise[:, 3] * 4 + (types == "pragmatist") * 2,
        "service_wins": noise[:, 4] * 3 + (types == "conservative") * 2,
        "service_share": noise[:, 5] + (types == "conservative") * 0.4,
        "objections_per_deal": noise[:, 6] * 2 + (types == "skeptic") * 0.8,
        "lost_share": 0.3 + noise[:, 7] + (types == "skeptic") * 0.3,
    }
    return made(**{k: list(v) for k, v in cols.items()}), types


def test_the_learned_model_learns_which_signal_points_where() -> None:
    f, types = separable(60, seed=1)
    model = BuyerTypeModel().fit(f, types)
    assert model.n_train_ == 240
    # Each type's strongest coefficient is one of its own two signals.
    own = {"visionary": (0, 1), "pragmatist": (2, 3), "conservative": (4, 5), "skeptic": (6, 7)}
    for k, t in enumerate(["visionary", "pragmatist", "conservative", "skeptic"]):
        assert int(np.argmax(model.coef_[k])) in own[t]
    test_f, test_types = separable(40, seed=2)
    assert (model.suggest(test_f).buyer_type == test_types).mean() > 0.85
    reasons = model.suggest(test_f).reasons([0])[0]
    assert reasons
    assert reasons[0].code in ("early_adopter", "new_product_deals")
    assert np.allclose(model.predict_proba(test_f).sum(axis=1), 1.0)


def test_the_learned_model_needs_enough_recorded_accounts_of_every_type() -> None:
    f, types = separable(60, seed=1)
    types = types.copy()
    types[types == "skeptic"] = "unknown"
    types[np.flatnonzero(types == "unknown")[:3]] = "skeptic"
    with pytest.raises(DomainError, match="skeptic has 3"):
        BuyerTypeModel().fit(f, types)
    with pytest.raises(DomainError, match="call fit"):
        BuyerTypeModel().predict_proba(f)
    with pytest.raises(DomainError, match="unknown value"):
        BuyerTypeModel().fit(f, ["golfer"] * len(f))


def test_a_cross_fitted_suggestion_never_reads_the_accounts_own_recorded_type() -> None:
    f, types = separable(50, seed=3)
    before = cross_fit_suggest(f, types, random_state=0)
    flipped = types.copy()
    flipped[7] = "skeptic" if types[7] != "skeptic" else "visionary"
    after = cross_fit_suggest(f, flipped, random_state=0)
    np.testing.assert_array_equal(before.scores[7], after.scores[7])
    assert before.method == "learned"
    assert not np.array_equal(before.scores, after.scores)  # the flip did reach the other folds' models


def test_the_holdout_evaluation_scores_all_three_on_the_same_accounts() -> None:
    f, types = separable(60, seed=4)
    ev = evaluate_suggestions(f, types, test_size=0.25, random_state=0)
    assert (ev.train, ev.test) == (180, 60)
    assert ev.accuracy["majority"] == pytest.approx(0.25)  # 15 of each type held out
    assert ev.accuracy["learned"] > 0.85
    assert ev.method == ("learned" if ev.accuracy["learned"] >= ev.accuracy["rules"] + 0.02 else "rules")
    assert set(ev.as_dict()) == {"train", "test", "accuracy", "suggested", "majority_type", "method"}


# -- agreement ---------------------------------------------------------------------------------------


def test_the_agreement_report_counts_pairs_and_shares_by_hand() -> None:
    recorded = ["visionary", "visionary", "skeptic", "unknown", "pragmatist", "conservative"]
    suggested = ["visionary", "pragmatist", "skeptic", "skeptic", "unknown", "conservative"]
    report = agreement_report(recorded, suggested)
    assert report["accounts"] == 6
    assert report["suggested"] == 5
    assert report["agreement"] == pytest.approx(3 / 4)  # pairs with both typed: v/v, v/p, s/s, c/c
    assert report["confusion"]["visionary"] == {"visionary": 1, "pragmatist": 1, "conservative": 0, "skeptic": 0, "unknown": 0}
    assert report["confusion"]["unknown"]["skeptic"] == 1
    assert report["confusion"]["pragmatist"]["unknown"] == 1
    assert sum(sum(row.values()) for row in report["confusion"].values()) == 6


def test_the_agreement_report_has_no_share_without_pairs_and_names_bad_values() -> None:
    assert agreement_report(["unknown"], ["skeptic"])["agreement"] is None
    with pytest.raises(DomainError, match="unknown suggested type"):
        agreement_report(["skeptic"], ["golfer"])
    with pytest.raises(DomainError, match="one length"):
        agreement_report(["skeptic"], [])
