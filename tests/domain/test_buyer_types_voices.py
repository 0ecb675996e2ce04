"""Key-person gaps, objection tags before lost reasons, and the top objections of a period, counted by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kokyaku.domain.buyer_types import explode_tags, key_person_gaps, objection_loss_table, top_objections
from kokyaku.domain.errors import DomainError


def test_pragmatists_with_fewer_than_two_key_persons_or_no_decision_maker_are_flagged() -> None:
    people = pd.DataFrame(
        {
            "account_id": [1, 1, 2, 3, 3, 3, 4, 5],
            "role": ["decision_maker", "it", "decision_maker", "it", "finance", "user_department", "it", "other"],
        }
    )
    out = key_person_gaps(
        [1, 2, 3, 4, 5, 6], ["pragmatist", "pragmatist", "pragmatist", "visionary", "pragmatist", "pragmatist"], people
    )
    assert out["key_persons"].tolist() == [2, 1, 3, 1, 1, 0]
    assert out["decision_makers"].tolist() == [1, 1, 0, 0, 0, 0]
    assert out["too_few"].tolist() == [False, True, False, False, True, True]
    assert out["no_decision_maker"].tolist() == [False, False, True, False, True, True]
    assert out.index[out["flagged"]].tolist() == [2, 3, 5, 6]  # 4 is a visionary: not watched


def test_key_person_gaps_name_bad_roles() -> None:
    with pytest.raises(DomainError, match="unknown role"):
        key_person_gaps([1], ["pragmatist"], pd.DataFrame({"account_id": [1], "role": ["boss"]}))


def test_tags_come_as_text_or_lists_and_are_cleaned() -> None:
    o = pd.DataFrame({"tags": ["price, ROI", ["effect", "effect"], "", None]})
    long = explode_tags(o)
    assert long[["objection", "tag"]].values.tolist() == [[0, "price"], [0, "roi"], [1, "effect"]]


OBJECTIONS = pd.DataFrame(
    {
        "account_id": [1, 1, 1, 2, 2, 3],
        "date": pd.to_datetime(["2026-01-10", "2026-01-20", "2025-06-01", "2026-02-01", "2026-02-02", "2026-03-01"]),
        "product": ["ERP", "ERP", "ERP", "Kit", "ERP", ""],
        "tags": ["price,roi", "price", "effect", "effect", "risk", "timing"],
        "said": ["高い", "高い", "効果が不明", "効果が不明", "不安", "来期"],
        "answer": ["分割払い", "", "", "", "", "後ろ倒し"],
    }
)
LOST = pd.DataFrame(
    {
        "account_id": [1, 2, 3, 3],
        "product": ["ERP", "Kit", "Kit", "Kit"],
        "opened_on": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-02-01", "2026-04-01"]),
        "closed_on": pd.to_datetime(["2026-02-01", "2026-03-01", "2026-03-15", "2026-05-01"]),
        "lost_reason": ["price", "no_need", "timing", ""],
    }
)


def test_objection_tags_are_counted_against_the_lost_reason_they_preceded() -> None:
    table = objection_loss_table(OBJECTIONS, LOST)
    # Account 1's deal: price (twice: counts once) and roi; the 2025 "effect" came before the deal opened.
    # Account 2's Kit deal: effect; the "risk" objection was about ERP, another product.
    # Account 3's first deal: timing (no product on the objection: it matches); its second deal had none.
    assert table.loc["price", "price"] == 1
    assert table.loc["roi", "price"] == 1
    assert table.loc["effect", "no_need"] == 1
    assert table.loc["timing", "timing"] == 1
    assert "risk" not in table.index
    assert list(table.loc["(any)"]) == [1, 1, 1, 3]  # columns no_need, price, timing, total
    assert table.loc["price", "total"] == 1
    assert int(table.drop(index="(any)")["total"].sum()) == 4


def test_top_objections_of_a_period_by_tag_and_by_what_was_said() -> None:
    by_tag = top_objections(OBJECTIONS, start=date(2026, 1, 1), end=date(2026, 3, 31))
    assert by_tag.index.tolist() == ["price", "effect", "risk", "roi", "timing"]  # ties by name
    assert list(by_tag.loc["price"]) == [2, 1, 0.4, 0.5]  # 2 of the period's 5 objections; one answered
    assert by_tag.loc["effect", "objections"] == 1  # the 2025 one is outside the period
    said = top_objections(OBJECTIONS, start=date(2026, 1, 1), end=date(2026, 3, 31), by="said", limit=1)
    assert said.index.tolist() == ["高い"]
    assert said.loc["高い", "accounts"] == 1


def test_top_objections_reject_a_bad_period_or_grouping() -> None:
    with pytest.raises(DomainError, match="after end"):
        top_objections(OBJECTIONS, start=date(2026, 4, 1), end=date(2026, 1, 1))
    with pytest.raises(DomainError, match="by must be"):
        top_objections(OBJECTIONS, start=date(2026, 1, 1), end=date(2026, 4, 1), by="rep")
