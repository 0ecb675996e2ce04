"""What an import did: the summary every stage of it fills in, and how problems are kept."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from kokyaku.imports.errors import Problem

MAX_PROBLEMS_KEPT = 1000
Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    """What an import did (or, with dry_run, would do)."""

    kind: str
    file: str
    mapping: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    skipped_reason: str = ""
    accounts_created: int = 0
    reps_created: int = 0
    teams_created: int = 0
    invoices: int = 0
    credit_notes: int = 0
    credit_total: float = 0.0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks and the curious
    history_id: int | None = None  # its line in the import history (ImportRun), when recorded

    def lap(self, phase: str, since: float) -> float:
        """Add the time since ``since`` to ``phase``; return now."""
        now = time.perf_counter()
        self.timings[phase] = round(self.timings.get(phase, 0.0) + now - since, 3)
        return now

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = [asdict(p) for p in self.problems]
        return data


def keep(summary: ImportSummary, problems: list[Problem]) -> None:
    """Count ``problems`` and keep the first MAX_PROBLEMS_KEPT of the import's in its summary."""
    summary.problem_count += len(problems)
    room = MAX_PROBLEMS_KEPT - len(summary.problems)
    if room > 0:
        summary.problems.extend(problems[:room])
