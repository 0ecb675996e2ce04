"""The buyer-type checklist: the article's traits per type, and ticks scored into a type with a confidence.

The traits and their wording come from the second source article (企業成長の担い手となる顧客とは):
six for visionaries, five for pragmatists, four for conservatives, and its one sentence on skeptics
(製品の効果や価値に対して疑問を持っている) split into its two doubts, the effect and the value.
Codes are stable (stored with the ticks); labels are translated in the Django layer, and both texts
are listed in ``docs/buyer-types.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError

BUYER_TYPES: tuple[str, ...] = ("visionary", "pragmatist", "conservative", "skeptic")
UNKNOWN = "unknown"
ALL_TYPES: tuple[str, ...] = (*BUYER_TYPES, UNKNOWN)
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Trait:
    """One line of the checklist: a stable code, the type it points to, and its English and Japanese text."""

    code: str
    buyer_type: str
    en: str
    ja: str


TRAITS: tuple[Trait, ...] = (
    Trait("v_new_technology", "visionary", "Likes new things and actively evaluates new technology",
          "新しいもの好きで、新しい技術を積極的に評価する"),
    Trait("v_own_foresight", "visionary", "Trusts their own intuition and foresight over others'",
          "他者より、自らの直感と先見性を信じる"),
    Trait("v_discontinuous", "visionary", "Prefers what breaks with the past over a continuation of it",
          "今までの連続、延長線上とは違うものを好む"),
    Trait("v_judges_features", "visionary", "Has an eye for features and judges them fairly",
          "機能の評価眼を持っており、正当に評価を下すことができる"),
    Trait("v_strategic_fit", "visionary", "Sees whether a feature fits their company's strategy and goals",
          "その機能が自社の戦略や目的に合うかどうかを洞察できる"),
    Trait("v_own_sense_of_value", "visionary", "Judges the price, such as what a change is worth, by their own sense of value",
          "変革の価値に対する対価など、価格も含め自分の価値感で判断する"),
    Trait("p_not_technology", "pragmatist", "Is not interested in the technology itself",
          "技術そのものには興味がない"),
    Trait("p_practical_benefit", "pragmatist",
          "Judges the benefit the technology brings as a product in strictly practical terms",
          "その技術が製品としてもたらす効用を極めて実利的に評価する"),
    Trait("p_cost_effectiveness", "pragmatist", "Is strict on price (always judges by cost-effectiveness)",
          "価格に対してシビア(費用対効果を必ず判断基準にする)"),
    Trait("p_measurable_results", "pragmatist", "Wants, and asks for, results that can be measured reliably",
          "着実に効果測定できることを望む、また要求してくる"),
    Trait("p_compares", "pragmatist", "Likes to compare and consider, so does not buy at once",
          "比較検討が好きなので、すぐには買わない"),
    Trait("c_no_longer_new", "conservative", "Comes in once a thing is no longer new",
          "もはや斬新では無くなったことに出てくる"),
    Trait("c_respects_custom", "conservative",
          "Respects long-standing customs, systems and ways of thinking, and dislikes sudden reform",
          "古くからの習慣制度考え方などを尊重し、急激な改革を嫌う"),
    Trait("c_avoids_disruption", "conservative", "Strongly dislikes anything that causes confusion",
          "混乱を招くことを極端に嫌う"),
    Trait("c_risk_services", "conservative", "Values services that avoid risk",
          "リスクを避けるためのサービスを重視する"),
    Trait("s_doubts_effect", "skeptic", "Doubts the product's effect",
          "製品の効果に疑問を持っている"),
    Trait("s_doubts_value", "skeptic", "Doubts the product's value",
          "製品の価値に疑問を持っている"),
)  # fmt: skip
TRAIT_CODES: tuple[str, ...] = tuple(t.code for t in TRAITS)
_TRAIT_TYPE = np.array([BUYER_TYPES.index(t.buyer_type) for t in TRAITS], dtype=np.intp)
_TRAITS_PER_TYPE = np.bincount(_TRAIT_TYPE, minlength=len(BUYER_TYPES)).astype(float)


@dataclass(frozen=True)
class ChecklistScore:
    """Checklist scores for many accounts.

    ``scores[i, t]`` is the share of type ``t``'s traits ticked for account ``i`` (columns in
    :data:`BUYER_TYPES` order); ``buyer_type[i]`` the type with the highest share, or "unknown";
    ``confidence[i]`` the winning type's share of the summed shares (1.0 when every tick points to
    one type; 0.0 for "unknown"); ``ticks[i]`` the number of ticks.
    """

    buyer_type: npt.NDArray[np.object_]
    confidence: FloatArray
    scores: FloatArray
    ticks: npt.NDArray[np.int64]


def checklist_matrix(
    account_ids: npt.ArrayLike, tick_accounts: npt.ArrayLike, tick_codes: Sequence[str] | npt.ArrayLike
) -> BoolArray:
    """Return the (accounts × :data:`TRAITS`) tick matrix from (account, trait code) pairs.

    Pairs for accounts not in ``account_ids`` are ignored; a repeated pair counts once. An unknown
    trait code raises DomainError naming it.
    """
    ids = np.asarray(account_ids)
    acc = np.asarray(tick_accounts)
    codes = np.asarray(tick_codes, dtype=object)
    if acc.shape != codes.shape:
        raise DomainError("checklist: tick accounts and codes must have the same length")
    known = np.isin(codes, np.asarray(TRAIT_CODES, dtype=object))
    if not bool(known.all()):
        raise DomainError(f"checklist: unknown trait code(s) {sorted(set(map(str, codes[~known])))}")
    idx = pd.Index(ids)
    if not idx.is_unique:
        raise DomainError("checklist: account ids must be unique")
    row = idx.get_indexer(pd.Index(acc))
    col = pd.Index(TRAIT_CODES).get_indexer(pd.Index(codes))
    found = row >= 0
    out = np.zeros((len(ids), len(TRAITS)), dtype=bool)
    out[row[found], col[found]] = True
    return out


def score_checklist(ticks: npt.ArrayLike, *, min_ticks: int = 2) -> ChecklistScore:
    """Score ticked traits into a buyer type with a confidence, for every row at once.

    Each type scores the share of its own traits that are ticked (so the skeptic's two traits weigh
    as much as the visionary's six). The type with the highest share wins; an account with fewer
    than ``min_ticks`` ticks, or whose two best types tie, is "unknown" (confidence 0).
    """
    t = np.asarray(ticks, dtype=bool)
    if t.ndim != 2 or t.shape[1] != len(TRAITS):
        raise DomainError(f"checklist: ticks must be a matrix with {len(TRAITS)} columns (one per trait), got shape {t.shape}")
    if min_ticks < 1:
        raise DomainError(f"checklist: min_ticks must be at least 1, got {min_ticks}")
    per_type = np.zeros((len(t), len(BUYER_TYPES)))
    for k in range(len(BUYER_TYPES)):
        per_type[:, k] = t[:, np.equal(_TRAIT_TYPE, k)].sum(axis=1)
    scores = per_type / _TRAITS_PER_TYPE
    count = t.sum(axis=1).astype(np.int64)
    best = np.argmax(scores, axis=1)
    top = np.take_along_axis(scores, best[:, None], axis=1)[:, 0]
    tie = (scores == top[:, None]).sum(axis=1) > 1
    decided = (count >= min_ticks) & ~tie & (top > 0)
    total = scores.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.where(decided, top / total, 0.0)
    buyer_type = np.where(decided, np.asarray(BUYER_TYPES, dtype=object)[best], UNKNOWN).astype(object)
    return ChecklistScore(buyer_type=buyer_type, confidence=confidence, scores=scores, ticks=count)
