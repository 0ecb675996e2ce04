"""受注確率 learned from the team's own history: a calibrated deal model and a repeat-purchase model.

Pure and vectorised (no Django): frames in, arrays and JSON-ready dicts out. ``docs/prediction.md``
describes the models, the serving rule and the measured figures.
"""

from typing import TYPE_CHECKING

from kokyaku.domain.lazy import lazy_exports
from kokyaku.domain.prediction.backtest import backtest, later_revenue, price_only_zones, versus_price, zone_summary
from kokyaku.domain.prediction.baselines import NB_FIELDS, NaiveBayesScorer
from kokyaku.domain.prediction.features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    CrmFrames,
    deal_features,
    screen_leaks,
    view_dates,
)

if TYPE_CHECKING:
    from kokyaku.domain.prediction.deal_model import CANDIDATES, DealWinModel
    from kokyaku.domain.prediction.evaluate import (
        REASONS,
        evaluate,
        evaluate_deals,
        evaluate_repeat,
        history_probability,
        team_of,
        to_json,
    )
    from kokyaku.domain.prediction.metrics import Scores, decile_table, expected_calibration_error, score
    from kokyaku.domain.prediction.persist import TRUSTED_TYPES, from_bytes, read_header, to_bytes
    from kokyaku.domain.prediction.repeat import BetaGeoModel, rfm_summary
    from kokyaku.domain.prediction.serve import (
        AccountProbabilities,
        account_deal_probability,
        account_probabilities,
        score_open_deals,
        train_deal_model,
        train_repeat_model,
    )

_LAZY = {  # name -> the submodule that defines it, loaded on first use
    "AccountProbabilities": "serve",
    "BetaGeoModel": "repeat",
    "CANDIDATES": "deal_model",
    "DealWinModel": "deal_model",
    "REASONS": "evaluate",
    "Scores": "metrics",
    "TRUSTED_TYPES": "persist",
    "account_deal_probability": "serve",
    "account_probabilities": "serve",
    "decile_table": "metrics",
    "evaluate": "evaluate",
    "evaluate_deals": "evaluate",
    "evaluate_repeat": "evaluate",
    "expected_calibration_error": "metrics",
    "from_bytes": "persist",
    "history_probability": "evaluate",
    "read_header": "persist",
    "rfm_summary": "repeat",
    "score": "metrics",
    "score_open_deals": "serve",
    "team_of": "evaluate",
    "to_bytes": "persist",
    "to_json": "evaluate",
    "train_deal_model": "serve",
    "train_repeat_model": "serve",
}

__all__ = [
    "CANDIDATES",
    "CATEGORICAL_FEATURES",
    "FEATURES",
    "NB_FIELDS",
    "NUMERIC_FEATURES",
    "REASONS",
    "TRUSTED_TYPES",
    "AccountProbabilities",
    "BetaGeoModel",
    "CrmFrames",
    "DealWinModel",
    "NaiveBayesScorer",
    "Scores",
    "account_deal_probability",
    "account_probabilities",
    "backtest",
    "deal_features",
    "decile_table",
    "evaluate",
    "evaluate_deals",
    "evaluate_repeat",
    "expected_calibration_error",
    "from_bytes",
    "history_probability",
    "later_revenue",
    "price_only_zones",
    "read_header",
    "rfm_summary",
    "score",
    "score_open_deals",
    "screen_leaks",
    "team_of",
    "to_bytes",
    "to_json",
    "train_deal_model",
    "train_repeat_model",
    "versus_price",
    "view_dates",
    "zone_summary",
]


# The models need scikit-learn, SciPy and skops (about 2 s to load): loaded when first used, not at every start.
__getattr__ = lazy_exports(__name__, _LAZY)
