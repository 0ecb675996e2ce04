"""The buyer-type checklist: the article's traits, and ticks scored into a type by hand-computed shares."""

from __future__ import annotations

import numpy as np
import pytest

from kokyaku.domain.buyer_types import (
    BUYER_TYPES,
    TRAIT_CODES,
    TRAITS,
    checklist_matrix,
    score_checklist,
)
from kokyaku.domain.errors import DomainError


def ticks(*codes: str) -> list[bool]:
    return [c in codes for c in TRAIT_CODES]


def test_the_checklist_has_the_articles_six_five_four_traits_and_two_skeptic_doubts() -> None:
    per_type = {t: [x.code for x in TRAITS if x.buyer_type == t] for t in BUYER_TYPES}
    assert [len(per_type[t]) for t in BUYER_TYPES] == [6, 5, 4, 2]
    assert len(set(TRAIT_CODES)) == len(TRAITS)
    assert all(t.en and t.ja for t in TRAITS)
    # The article's wording, verbatim, for a trait of each of the three listed types.
    ja = {t.code: t.ja for t in TRAITS}
    assert ja["v_new_technology"] == "新しいもの好きで、新しい技術を積極的に評価する"
    assert ja["p_compares"] == "比較検討が好きなので、すぐには買わない"
    assert ja["c_risk_services"] == "リスクを避けるためのサービスを重視する"


def test_every_visionary_trait_ticked_is_a_sure_visionary() -> None:
    result = score_checklist([ticks(*(t.code for t in TRAITS if t.buyer_type == "visionary"))])
    assert result.buyer_type[0] == "visionary"
    assert result.confidence[0] == 1.0
    np.testing.assert_allclose(result.scores[0], [1.0, 0.0, 0.0, 0.0])


def test_the_type_with_the_largest_share_of_its_own_traits_wins() -> None:
    # Two of five pragmatist traits (0.4) against one of six visionary traits (1/6).
    result = score_checklist([ticks("p_cost_effectiveness", "p_compares", "v_judges_features")])
    assert result.buyer_type[0] == "pragmatist"
    assert result.confidence[0] == pytest.approx(0.4 / (0.4 + 1 / 6))
    assert result.ticks[0] == 3


def test_one_skeptic_doubt_outweighs_one_visionary_trait_because_shares_are_per_type() -> None:
    result = score_checklist([ticks("s_doubts_value", "v_own_foresight")])
    assert result.buyer_type[0] == "skeptic"
    assert result.confidence[0] == pytest.approx(0.5 / (0.5 + 1 / 6))


def test_too_few_ticks_or_a_tie_is_unknown() -> None:
    result = score_checklist(
        [
            ticks("c_no_longer_new"),  # one tick: below min_ticks
            ticks("c_no_longer_new", "c_respects_custom", "s_doubts_effect"),  # 2/4 = 1/2: a tie
            ticks(),
        ]
    )
    assert list(result.buyer_type) == ["unknown", "unknown", "unknown"]
    assert list(result.confidence) == [0.0, 0.0, 0.0]
    assert score_checklist([ticks("c_no_longer_new")], min_ticks=1).buyer_type[0] == "conservative"


def test_the_matrix_is_built_from_account_and_code_pairs() -> None:
    m = checklist_matrix(
        [10, 20, 30], [20, 20, 10, 99, 20], ["p_compares", "c_risk_services", "v_new_technology", "p_compares", "p_compares"]
    )
    assert m.shape == (3, len(TRAITS))
    assert set(np.flatnonzero(m[1])) == {TRAIT_CODES.index("p_compares"), TRAIT_CODES.index("c_risk_services")}
    assert list(np.flatnonzero(m[0])) == [TRAIT_CODES.index("v_new_technology")]
    assert not m[2].any()  # account 99 is not asked for; a repeated pair counts once


def test_bad_input_is_named() -> None:
    with pytest.raises(DomainError, match="unknown trait code"):
        checklist_matrix([1], [1], ["likes_golf"])
    with pytest.raises(DomainError, match="17 columns"):
        score_checklist(np.zeros((2, 5), dtype=bool))
    with pytest.raises(DomainError, match="unique"):
        checklist_matrix([1, 1], [], [])
