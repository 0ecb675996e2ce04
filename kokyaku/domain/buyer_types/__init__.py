"""Buyer types (購買タイプ), key persons (キーマン) and objections (懐疑客の声): pure and vectorised.

- the checklist of the article's traits per type, scored into a type with a confidence;
- a type suggested from behaviour alone (never from the recorded type), by readable rules or by a
  logistic regression on the same signals, with the reasons and an honest held-out evaluation;
- the agreement between suggestions and recorded types;
- key-person gaps of pragmatist accounts, objection tags before lost reasons, top objections.

See ``docs/buyer-types.md``.
"""

from typing import TYPE_CHECKING

from kokyaku.domain.buyer_types.behaviour import DEAL_COLUMNS, FEATURES, PRODUCT_COLUMNS, History, behaviour_features
from kokyaku.domain.buyer_types.checklist import (
    ALL_TYPES,
    BUYER_TYPES,
    TRAIT_CODES,
    TRAITS,
    UNKNOWN,
    ChecklistScore,
    Trait,
    checklist_matrix,
    score_checklist,
)
from kokyaku.domain.buyer_types.report import AgreementReport, agreement_report
from kokyaku.domain.buyer_types.suggest import (
    SIGNAL_CODES,
    SIGNALS,
    Reason,
    Signal,
    Suggestion,
    signal_strengths,
    suggest_buyer_types,
)
from kokyaku.domain.buyer_types.voices import (
    ROLES,
    STANCES,
    explode_tags,
    key_person_gaps,
    objection_loss_table,
    top_objections,
)
from kokyaku.domain.lazy import lazy_exports

if TYPE_CHECKING:
    from kokyaku.domain.buyer_types.learned import (
        BuyerTypeModel,
        HoldoutEvaluation,
        cross_fit_suggest,
        evaluate_suggestions,
    )

_LAZY = {  # name -> the submodule that defines it, loaded on first use
    "BuyerTypeModel": "learned",
    "HoldoutEvaluation": "learned",
    "cross_fit_suggest": "learned",
    "evaluate_suggestions": "learned",
}

__all__ = [
    "ALL_TYPES",
    "BUYER_TYPES",
    "DEAL_COLUMNS",
    "FEATURES",
    "PRODUCT_COLUMNS",
    "ROLES",
    "SIGNALS",
    "SIGNAL_CODES",
    "STANCES",
    "TRAITS",
    "TRAIT_CODES",
    "UNKNOWN",
    "AgreementReport",
    "BuyerTypeModel",
    "ChecklistScore",
    "History",
    "HoldoutEvaluation",
    "Reason",
    "Signal",
    "Suggestion",
    "Trait",
    "agreement_report",
    "behaviour_features",
    "checklist_matrix",
    "cross_fit_suggest",
    "evaluate_suggestions",
    "explode_tags",
    "key_person_gaps",
    "objection_loss_table",
    "score_checklist",
    "signal_strengths",
    "suggest_buyer_types",
    "top_objections",
]


# The learned suggestion needs scikit-learn (about 1.5 s to load): loaded when first used, not at every start.
__getattr__ = lazy_exports(__name__, _LAZY)
