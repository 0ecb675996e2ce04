"""The context of one pass of an import over its file: what every stage reads and writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kokyaku.imports.mapping import Mapping
from kokyaku.imports.plans import Plan
from kokyaku.imports.rejects import RejectsFile
from kokyaku.imports.summary import ImportSummary, Progress
from kokyaku.imports.table import Table
from kokyaku.imports.validate import Columns


@dataclass
class ImportPass:
    """One pass over the file, in one transaction: the file, how it maps, and where results go.

    ``import_run`` makes one (two when a first load falls back to staging) and hands it to every
    stage: reading and checking, staging, the upsert, the rejects file.
    """

    table: Table  # the open file
    mapping: Mapping
    columns: Columns  # the mapping resolved against the file's header
    plan: Plan  # what this kind stages, and how its references resolve
    summary: ImportSummary  # filled in as the pass goes
    rejects: RejectsFile
    timezone: str  # for times without an offset
    skip_invalid: bool  # import the good rows, set the others aside (else all or nothing)
    progress: Progress | None
    started: float  # perf_counter() when import_run began, for the first phase's timing
    reopen: Callable[[], Table] | None = None  # the file opened again (rows SQL refused go to the rejects file as read)

    @property
    def width(self) -> int:
        """How many columns the file has (a rejects line not taken from the file has as many cells)."""
        return len(self.table.header)

    @property
    def refused(self) -> bool:
        """All or nothing, and a row had a problem: the pass writes nothing more."""
        return bool(self.summary.problem_count) and not self.skip_invalid
