"""Retention: the classic curve beside the company's own, measured from its purchases, and a forecast.

Pure and vectorised like the rest of the domain core. :func:`measure_retention` is the one call
for a page, command or API; the pieces it uses are exported too.
"""

from kokyaku.domain.retention.cohorts import (
    LIFETIME_COLUMNS,
    PURCHASE_COLUMNS,
    CohortTable,
    cohort_table,
    customer_lifetimes,
    kaplan_meier,
    purchases_from_deals,
    survival_periods,
)
from kokyaku.domain.retention.curves import (
    CLASSIC_ALPHA,
    CLASSIC_BETA,
    CLASSIC_RETENTION,
    DAYS_PER_YEAR,
    ClassicRetention,
    RetentionCurve,
    ShiftedBetaGeometric,
    classic_survival,
    sbg_retention,
    sbg_survival,
)
from kokyaku.domain.retention.forecast import (
    FORECAST_COLUMNS,
    REASONS,
    RetentionReport,
    measure_retention,
    retention_forecast,
)

__all__ = [
    "CLASSIC_ALPHA",
    "CLASSIC_BETA",
    "CLASSIC_RETENTION",
    "DAYS_PER_YEAR",
    "FORECAST_COLUMNS",
    "LIFETIME_COLUMNS",
    "PURCHASE_COLUMNS",
    "REASONS",
    "ClassicRetention",
    "CohortTable",
    "RetentionCurve",
    "RetentionReport",
    "ShiftedBetaGeometric",
    "classic_survival",
    "cohort_table",
    "customer_lifetimes",
    "kaplan_meier",
    "measure_retention",
    "purchases_from_deals",
    "retention_forecast",
    "sbg_retention",
    "sbg_survival",
    "survival_periods",
]
