"""What can go wrong in an import. Pure: no Django import."""

from __future__ import annotations

from dataclasses import dataclass


class ImportFileError(Exception):
    """The file (or the mapping) cannot be used at all: unreadable, empty, wrong encoding, bad TOML..."""


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is and why it was refused. ``row`` counts the header as row 1, like Excel."""

    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: row {self.row}" + (f", column {self.column!r}" if self.column else "")
        value = f", value {self.value!r}" if self.value != "" else ""
        return f"{where}{value}: {self.reason}"


class ImportInvalid(Exception):
    """Rows failed validation and nothing was written (the default, all-or-nothing mode)."""

    def __init__(self, problems: list[Problem], problem_count: int) -> None:
        self.problems = problems
        self.problem_count = problem_count
        first = f"; first: {problems[0]}" if problems else ""
        noun = "problem" if problem_count == 1 else "problems"
        super().__init__(
            f"{problem_count} {noun} found, nothing was written{first}. "
            "Fix the file or the mapping, or use --skip-invalid --rejects PATH to import the good rows."
        )
