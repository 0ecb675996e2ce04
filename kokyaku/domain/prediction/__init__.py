"""受注確率 learned from the team's own history: a calibrated deal model and a repeat-purchase model.

Pure and vectorised (no Django): frames in, arrays and JSON-ready dicts out. ``docs/prediction.md``
describes the models, the serving rule and the measured figures.
"""

from kokyaku.domain.prediction.baselines import NB_FIELDS, NaiveBayesScorer
from kokyaku.domain.prediction.deal_model import CANDIDATES, DealWinModel
from kokyaku.domain.prediction.evaluate import REASONS, evaluate, evaluate_deals, evaluate_repeat, history_probability
from kokyaku.domain.prediction.features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    deal_features,
    screen_leaks,
    view_dates,
)
from kokyaku.domain.prediction.metrics import Scores, decile_table, expected_calibration_error, score
from kokyaku.domain.prediction.repeat import BetaGeoModel, rfm_summary

__all__ = [
    "CANDIDATES",
    "CATEGORICAL_FEATURES",
    "FEATURES",
    "NB_FIELDS",
    "NUMERIC_FEATURES",
    "REASONS",
    "BetaGeoModel",
    "DealWinModel",
    "NaiveBayesScorer",
    "Scores",
    "deal_features",
    "decile_table",
    "evaluate",
    "evaluate_deals",
    "evaluate_repeat",
    "expected_calibration_error",
    "history_probability",
    "rfm_summary",
    "score",
    "screen_leaks",
    "view_dates",
]
