"""Assignment by skill: the policy, an optimal plan within capacities, its explanation, baselines.

Pure (no Django): :func:`plan_assignment` takes an accounts frame and a reps frame (see
``inputs.py`` for the columns) and an :class:`AssignmentPolicy`, and returns an
:class:`AssignmentPlan` proven optimal by OR-Tools, or the structured reason none exists.
"""

from typing import TYPE_CHECKING

from kokyaku.domain.assignment.explain import MOVE_REASONS
from kokyaku.domain.assignment.inputs import ACCOUNT_COLUMNS, ACCOUNT_OPTIONAL, REP_COLUMNS, REP_OPTIONAL, Problem, read_problem
from kokyaku.domain.assignment.policy import (
    DEFAULT_CONTINUITY,
    DEFAULT_WEIGHTS,
    DEVELOPING,
    STRONG,
    TERM_TIERS,
    TERMS,
    TIERS,
    AssignmentPolicy,
)
from kokyaku.domain.lazy import lazy_exports

if TYPE_CHECKING:
    from kokyaku.domain.assignment.baselines import BASELINES, Baseline, equal_split, round_robin
    from kokyaku.domain.assignment.diagnose import REASONS, Infeasibility
    from kokyaku.domain.assignment.plan import STATUSES, AssignmentPlan, plan_assignment, policy_score
    from kokyaku.domain.assignment.value import VALUE_STEP

_LAZY = {  # name -> the submodule that defines it, loaded on first use
    "BASELINES": "baselines",
    "Baseline": "baselines",
    "equal_split": "baselines",
    "round_robin": "baselines",
    "REASONS": "diagnose",
    "Infeasibility": "diagnose",
    "STATUSES": "plan",
    "AssignmentPlan": "plan",
    "plan_assignment": "plan",
    "policy_score": "plan",
    "VALUE_STEP": "value",
}

__all__ = [
    "ACCOUNT_COLUMNS",
    "ACCOUNT_OPTIONAL",
    "BASELINES",
    "DEFAULT_CONTINUITY",
    "DEFAULT_WEIGHTS",
    "DEVELOPING",
    "MOVE_REASONS",
    "REASONS",
    "REP_COLUMNS",
    "REP_OPTIONAL",
    "STATUSES",
    "STRONG",
    "TERMS",
    "TERM_TIERS",
    "TIERS",
    "VALUE_STEP",
    "AssignmentPlan",
    "AssignmentPolicy",
    "Baseline",
    "Infeasibility",
    "Problem",
    "equal_split",
    "plan_assignment",
    "policy_score",
    "read_problem",
    "round_robin",
]


# The solvers need OR-Tools (about 0.1 s to load): loaded when a plan is first made, not at every start.
__getattr__ = lazy_exports(__name__, _LAZY)
