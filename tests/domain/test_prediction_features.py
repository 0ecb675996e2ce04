"""Deal features read nothing dated after each deal's view date; counts checked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from benchmarks.prediction_data import demo_frames
from kokyaku.domain.errors import DomainError
from kokyaku.domain.prediction import FEATURES, deal_features, screen_leaks, view_dates

AS_OF = date(2026, 6, 30)


def deals(*rows: tuple[int, int, str, float, str, str | None]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["deal_id", "account_id", "status", "amount", "opened_on", "closed_on"])
    frame["owner_id"] = 1.0
    frame["product"] = "Kit"
    frame["probability"] = np.nan
    frame["stage"] = ""
    frame["opened_on"] = pd.to_datetime(frame["opened_on"])
    frame["closed_on"] = pd.to_datetime(frame["closed_on"])
    return frame


def test_counts_and_age_use_only_what_is_dated_by_the_view_date() -> None:
    d = deals(
        (1, 7, "won", 100.0, "2026-01-01", "2026-01-20"),
        (2, 7, "lost", 100.0, "2026-02-01", "2026-02-10"),
        (3, 7, "won", 100.0, "2026-03-01", "2026-04-15"),  # closes after deal 4's view date
        (4, 7, "open", 1000.0, "2026-03-01", None),
        (5, 8, "won", 50.0, "2026-01-01", "2026-01-02"),  # another account
    )
    activities = pd.DataFrame(
        {
            "account_id": [7, 7, 7, 7, 8],
            "occurred_on": pd.to_datetime(["2026-02-28", "2026-03-01", "2026-03-31", "2026-04-01", "2026-03-15"]),
            "minutes": [10, 20, 30, 40, 50],
        }
    )
    at = np.array(["2026-01-01", "2026-01-01", "2026-01-01", "2026-03-31", "2026-01-01"], dtype="datetime64[D]")
    f = deal_features(d, at=at, activities=activities).loc[4]
    assert f["age_days"] == 30  # March 1 to March 31
    assert f["activities"] == 2  # March 1 and March 31 (Feb 28 is before the deal, April 1 after the view)
    assert f["minutes"] == 50
    assert f["account_won"] == 1  # deal 1; deal 3 closed April 15, after the view date
    assert f["account_lost"] == 1
    assert f["amount_log"] == pytest.approx(np.log1p(1000.0))
    assert f["product"] == "Kit"
    assert f["owner"] == "1"


def test_scrambling_every_row_dated_after_the_view_date_changes_no_feature() -> None:
    fr = demo_frames(accounts=300, seed=3, as_of=AS_OF)
    assert fr.activities is not None
    d = fr.deals
    at = view_dates(d, as_of=AS_OF, random_state=1)
    before = deal_features(d, at=at, accounts=fr.accounts, activities=fr.activities, reps=fr.reps)
    rng = np.random.default_rng(0)
    checked = 0
    for i in rng.choice(len(d), size=25, replace=False):
        cut = pd.Timestamp(at[i])
        later = d.copy()
        after = (later["closed_on"] > cut).to_numpy()
        # Every deal closed after the view date: outcome flipped, close date moved, amount changed.
        later.loc[after, "status"] = later.loc[after, "status"].map({"won": "lost", "lost": "won"})
        later.loc[after, "closed_on"] = later.loc[after, "closed_on"] + pd.Timedelta(days=3)
        later.loc[later["opened_on"] > cut, "amount"] = 1.0
        # The deal's own outcome and close date are never read.
        later.loc[i, "status"] = "lost" if later.loc[i, "status"] == "won" else "won"
        acts = fr.activities.copy()
        late_act = (acts["occurred_on"] > cut).to_numpy()
        acts.loc[late_act, "minutes"] = 9999
        extra = acts.loc[late_act].head(5).assign(account_id=int(d["account_id"].iloc[i]))
        acts = pd.concat([acts, extra], ignore_index=True)  # more later activity on this very account
        again = deal_features(later.iloc[[i]], at=at[[i]], accounts=fr.accounts, activities=acts, reps=fr.reps, history=later)
        pd.testing.assert_frame_equal(again, before.iloc[[i]], check_dtype=False)
        checked += 1
    assert checked == 25
    # The check can fail: moving a row to before the view date does change the features.
    i = int(np.flatnonzero((d["status"] == "open").to_numpy())[0])
    acts = pd.concat(
        [fr.activities, fr.activities.head(1).assign(account_id=int(d["account_id"].iloc[i]), occurred_on=pd.Timestamp(at[i]))]
    )
    changed = deal_features(d.iloc[[i]], at=at[[i]], accounts=fr.accounts, activities=acts, reps=fr.reps, history=d)
    assert changed["activities"].iloc[0] == before["activities"].iloc[i] + 1


def test_a_closed_deal_is_seen_before_its_close_and_an_open_one_at_the_as_of_date() -> None:
    d = deals(
        (1, 7, "won", 1.0, "2026-01-01", "2026-03-01"),
        (2, 7, "lost", 1.0, "2026-02-01", "2026-02-01"),  # closed the day it opened
        (3, 7, "open", 1.0, "2026-05-01", None),
    )
    at = view_dates(d, as_of=AS_OF, random_state=0)
    assert np.datetime64("2026-01-01") <= at[0] < np.datetime64("2026-03-01")
    assert at[1] == np.datetime64("2026-01-31")
    assert at[2] == np.datetime64(AS_OF)


def test_a_stage_counts_only_from_a_stage_history_and_as_it_was_on_the_view_date() -> None:
    d = deals((1, 7, "won", 1.0, "2026-01-01", "2026-03-01"))
    d["stage"] = "Closed won"  # the stored stage is the outcome: never a feature
    stages = pd.DataFrame(
        {
            "deal_id": [1, 1, 1],
            "stage": ["Lead", "Proposal", "Closed won"],
            "changed_on": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
        }
    )
    at = np.array(["2026-01-15"], dtype="datetime64[D]")
    assert deal_features(d, at=at).loc[1, "stage"] is None
    assert deal_features(d, at=at, stages=stages).loc[1, "stage"] == "Lead"
    assert deal_features(d, at=np.array(["2026-02-28"], dtype="datetime64[D]"), stages=stages).loc[1, "stage"] == "Proposal"


def test_amounts_that_record_the_outcome_are_flagged() -> None:
    rows = [(i, 1, "won", 100.0, "2026-01-01", "2026-02-01") for i in range(20)]
    rows += [(100 + i, 1, "lost", 0.0, "2026-01-01", "2026-02-01") for i in range(20)]  # Maven: lost = 0
    assert screen_leaks(deals(*rows)) == {"amount_log": "amount_records_outcome"}
    rows = [(i, 1, "won", 100.0, "2026-01-01", "2026-02-01") for i in range(20)]
    rows += [(100 + i, 1, "lost", 80.0, "2026-01-01", "2026-02-01") for i in range(20)]
    assert screen_leaks(deals(*rows)) == {}


def test_features_refuse_missing_columns_and_view_dates() -> None:
    d = deals((1, 7, "open", 1.0, "2026-01-01", None))
    with pytest.raises(DomainError, match="product"):
        deal_features(d.drop(columns="product"), at=np.array(["2026-01-02"], dtype="datetime64[D]"))
    with pytest.raises(DomainError, match="view date"):
        deal_features(d, at=np.array(["NaT"], dtype="datetime64[D]"))
    assert list(deal_features(d, at=np.array(["2026-01-02"], dtype="datetime64[D]")).columns) == list(FEATURES)
