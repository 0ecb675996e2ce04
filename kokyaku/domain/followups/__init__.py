"""The weekly routine around dormancy: follow-ups for new dormant and at-risk accounts, reactivations, stale deals.

Pure and vectorised like the rest of the domain core: one call handles the whole portfolio.
"""

from kokyaku.domain.followups.rule import (
    DEFAULT_DUE_DAYS,
    FOLLOW_UP_COLUMNS,
    NEEDS_FOLLOW_UP,
    RELEASE_COLUMNS,
    REP_COLUMNS,
    RULES,
    FollowUpPlan,
    follow_ups_due,
    reactivations,
    reactivations_by_month,
    spread_least_loaded,
)
from kokyaku.domain.followups.stale import ACTIVITY_COLUMNS, OPEN_DEAL_COLUMNS, STALE_LEVELS, stale_deals

__all__ = [
    "ACTIVITY_COLUMNS",
    "DEFAULT_DUE_DAYS",
    "FOLLOW_UP_COLUMNS",
    "NEEDS_FOLLOW_UP",
    "OPEN_DEAL_COLUMNS",
    "RELEASE_COLUMNS",
    "REP_COLUMNS",
    "RULES",
    "STALE_LEVELS",
    "FollowUpPlan",
    "follow_ups_due",
    "reactivations",
    "reactivations_by_month",
    "spread_least_loaded",
    "stale_deals",
]
