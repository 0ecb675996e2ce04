"""Stale deals: days since the last activity on an open deal, and its 7 / 30 / 90 level."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kokyaku.domain.errors import DomainError
from kokyaku.domain.followups import stale_deals

AS_OF = date(2026, 6, 30)
NAN = float("nan")


def open_deals(*rows: tuple[int, int, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["deal_id", "account_id", "opened_on"])
    frame["opened_on"] = pd.to_datetime(frame["opened_on"])
    return frame


def activities(*rows: tuple[int, float, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "deal_id", "occurred_on"])
    frame["occurred_on"] = pd.to_datetime(frame["occurred_on"])
    return frame


def test_idle_days_count_from_the_latest_activity_and_fall_into_7_30_90() -> None:
    deals = open_deals(
        (101, 1, "2026-06-25"),  # opened 5 days ago, nothing logged: fresh
        (102, 1, "2026-01-01"),  # a call on the deal 7 days ago: level 7
        (103, 2, "2026-01-01"),  # a visit 31 days ago: 30
        (104, 3, "2025-01-01"),  # nothing since it opened 545 days ago: 90
        (105, 4, "2026-01-01"),  # activity on account 4 with no deal, 29 days ago: 7
        (106, 5, "2026-01-01"),  # an activity after the as-of date does not count: 180 idle, 90
    )
    acts = activities(
        (1, 102, "2026-06-23"),
        (1, 102, "2026-03-01"),
        (2, 103, "2026-05-30"),
        (4, NAN, "2026-06-01"),
        (5, 106, "2026-07-02"),
        (9, 999, "2026-06-29"),  # another deal: ignored
    )
    got = stale_deals(deals, acts, as_of=AS_OF)
    assert got["deal_id"].tolist() == [101, 102, 103, 104, 105, 106]
    assert got["idle_days"].tolist() == [5, 7, 31, 545, 29, 180]
    assert got["stale_level"].tolist() == [0, 7, 30, 90, 7, 90]
    assert got["last_activity_on"].dt.date.tolist()[1] == date(2026, 6, 23)


def test_account_activities_can_be_left_out() -> None:
    deals = open_deals((105, 4, "2026-01-01"))
    acts = activities((4, NAN, "2026-06-29"))
    assert stale_deals(deals, acts, as_of=AS_OF)["stale_level"].tolist() == [0]
    assert stale_deals(deals, acts, as_of=AS_OF, account_activities=False)["stale_level"].tolist() == [90]


def test_the_levels_are_a_setting() -> None:
    deals = open_deals((1, 1, "2026-06-16"))
    got = stale_deals(deals, activities(), as_of=AS_OF, levels=(3, 14))
    assert got["stale_level"].tolist() == [14]


def test_bad_levels_and_missing_columns_are_refused() -> None:
    deals = open_deals((1, 1, "2026-06-16"))
    with pytest.raises(DomainError, match="increasing"):
        stale_deals(deals, activities(), as_of=AS_OF, levels=(30, 7))
    with pytest.raises(DomainError, match="missing column"):
        stale_deals(deals.drop(columns="opened_on"), activities(), as_of=AS_OF)
    with pytest.raises(DomainError, match="unique"):
        stale_deals(pd.concat([deals, deals]), activities(), as_of=AS_OF)
