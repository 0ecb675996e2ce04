"""Reads of the portfolio that pages, the API and the CLI share, one module per page family.

Every selector runs a fixed, small number of queries (aggregates run in the database), whatever
the size of the portfolio, and returns typed records (dataclasses), never bare dicts or frames.
Money comes back as ``Decimal`` in rows and ``float`` in aggregates meant for charts and tables.

- :mod:`.snapshots`: criteria versions, which snapshot is current or before, one snapshot's rows in one pass
- :mod:`.rows`: snapshot rows as :class:`Row`, the accounts tables, an account's zone history
- :mod:`.team`: the 3×3 matrix, the scatter, the per-rep breakdown
- :mod:`.review`: zone moves and the from × to migration between two snapshots
- :mod:`.shift`: the same across a criteria change: re-classification apart from movement
- :mod:`.criteria`: what a criteria change would move, and the cut-offs it resolves to
- :mod:`.effort`: activity time against won revenue per zone
- :mod:`.targets`: targets, won, pipeline, ヨミ and gaps per rep
- :mod:`.accounts`: one account's page and a rep's day
"""

from kokyaku.portfolio.selectors.accounts import (
    AccountOverview,
    AddedAccounts,
    RepFocus,
    account_overview,
    accounts_added_since,
    rep_focus,
)
from kokyaku.portfolio.selectors.criteria import (
    ZONE_LABELS,
    CriteriaPreview,
    criteria_cutoffs,
    criteria_cutoffs_known,
    criteria_preview,
)
from kokyaku.portfolio.selectors.effort import EffortRow, effort_return, effort_tables
from kokyaku.portfolio.selectors.review import (
    Flow,
    MigrationCounts,
    zone_migration,
    zone_migration_accounts,
    zone_move_counts,
    zone_moves,
    zone_moves_iter,
)
from kokyaku.portfolio.selectors.rows import (
    ROW_PATHS,
    SORTS,
    Page,
    Row,
    RowPage,
    ZoneHistoryEntry,
    account_zone_history,
    portfolio_filtered,
    portfolio_table,
    rows_iter,
)
from kokyaku.portfolio.selectors.shift import CriteriaShift, criteria_differ, criteria_shift
from kokyaku.portfolio.selectors.snapshots import (
    SNAPSHOT_ORDER,
    criteria_current,
    criteria_history,
    snapshot_get,
    snapshot_is_before,
    snapshot_latest,
    snapshot_list,
    snapshot_previous,
    snapshot_scan,
    stage_probabilities_for,
)
from kokyaku.portfolio.selectors.targets import (
    GapAccount,
    OpenDealDates,
    TargetRow,
    Targets,
    TeamTargets,
    open_deal_dates,
    targets_view,
)
from kokyaku.portfolio.selectors.team import (
    MatrixCell,
    RepBreakdown,
    Scatter,
    ScatterPoint,
    TeamMatrix,
    rep_breakdown,
    rep_breakdown_page,
    scatter_points,
    team_matrix,
)

__all__ = [
    "ROW_PATHS",
    "SNAPSHOT_ORDER",
    "SORTS",
    "ZONE_LABELS",
    "AccountOverview",
    "AddedAccounts",
    "CriteriaPreview",
    "CriteriaShift",
    "EffortRow",
    "Flow",
    "GapAccount",
    "MatrixCell",
    "MigrationCounts",
    "OpenDealDates",
    "Page",
    "RepBreakdown",
    "RepFocus",
    "Row",
    "RowPage",
    "Scatter",
    "ScatterPoint",
    "TargetRow",
    "Targets",
    "TeamMatrix",
    "TeamTargets",
    "ZoneHistoryEntry",
    "account_overview",
    "account_zone_history",
    "accounts_added_since",
    "criteria_current",
    "criteria_cutoffs",
    "criteria_cutoffs_known",
    "criteria_differ",
    "criteria_history",
    "criteria_preview",
    "criteria_shift",
    "effort_return",
    "effort_tables",
    "open_deal_dates",
    "portfolio_filtered",
    "portfolio_table",
    "rep_breakdown",
    "rep_breakdown_page",
    "rep_focus",
    "rows_iter",
    "scatter_points",
    "snapshot_get",
    "snapshot_is_before",
    "snapshot_latest",
    "snapshot_list",
    "snapshot_previous",
    "snapshot_scan",
    "stage_probabilities_for",
    "targets_view",
    "team_matrix",
    "zone_migration",
    "zone_migration_accounts",
    "zone_move_counts",
    "zone_moves",
    "zone_moves_iter",
]
