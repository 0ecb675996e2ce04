"""`kokyaku import KIND FILE`: import a CRM export through a mapping (see docs/import.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from kokyaku.imports.errors import ImportFileError, ImportInvalid
from kokyaku.imports.fields import KINDS
from kokyaku.imports.i18n import problem_text, translated
from kokyaku.imports.mapping import unescape_delimiter
from kokyaku.imports.services import ImportSummary, import_recorded
from kokyaku.lib.commands import BACKGROUND_HELP, KokyakuCommand, gettext_lazy, run_in_background
from kokyaku.lib.tabular import pad

SHOWN_PROBLEMS = 20


class Command(KokyakuCommand):
    # The system checks (URL configuration, admin, templates) have nothing to say about a data import
    # and cost ~0.2 s of start-up per run; `kokyaku migrate` and `kokyaku serve` still run them.
    requires_system_checks: list[str] = []
    help = gettext_lazy(
        "Import accounts, reps, deals, activities or purchases from a CSV / XLSX file (plain or .gz). "
        "All-or-nothing by default; re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS, help=gettext_lazy("what the file holds"))
        parser.add_argument("file", help=gettext_lazy("a .csv, .tsv, .txt or .xlsx file, optionally gzipped"))
        parser.add_argument(
            "--mapping",
            default="generic",
            help=gettext_lazy(
                "built-in mapping (generic, salesforce, hubspot, salesforce_report, salesforce_report_ja, kintone), "
                "a saved mapping's name or a .toml path"
            ),
        )
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("validate and count, write nothing"))
        parser.add_argument("--skip-invalid", action="store_true", help=gettext_lazy("import the good rows; needs --rejects"))
        parser.add_argument(
            "--rejects", metavar="PATH", help=gettext_lazy("write refused and skipped rows, with the reason, to this CSV")
        )
        parser.add_argument(
            "--encoding",
            help=gettext_lazy("override the detected encoding (Japanese: cp932, euc-jp, utf-16; utf-8, latin-1 ...)"),
        )
        parser.add_argument("--delimiter", help=gettext_lazy("override the detected delimiter: ',', ';', 'tab', '|'"))
        parser.add_argument("--json", action="store_true", help=gettext_lazy("print the summary as JSON"))
        parser.add_argument("--background", action="store_true", help=BACKGROUND_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["skip_invalid"] and not options["rejects"]:
            raise CommandError(_("--skip-invalid needs --rejects PATH, so that no refused row is lost"))
        if options["background"]:
            if options["dry_run"] or options["rejects"] or options["encoding"] or options["delimiter"]:
                raise CommandError(_("--background takes the kind, the file, --mapping and --skip-invalid only"))
            run_in_background(
                self,
                "import",
                kind=options["kind"],
                path=options["file"],
                mapping=options["mapping"],
                skip_invalid=options["skip_invalid"],
            )
            return
        delimiter = options["delimiter"]
        try:
            if delimiter is not None:
                delimiter = unescape_delimiter(delimiter)
            with _Progress(enabled=not options["json"] and sys.stderr.isatty()) as progress:
                summary = import_recorded(
                    source="cli",
                    actor=None,  # the command line
                    kind=options["kind"],
                    path=Path(options["file"]),
                    mapping=options["mapping"],
                    dry_run=options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    rejects_path=options["rejects"],
                    encoding=options["encoding"],
                    delimiter=delimiter,
                    progress=progress.update,
                )
        except ImportInvalid as exc:
            for problem in exc.problems[:SHOWN_PROBLEMS]:
                self.stderr.write(f"  {problem_text(problem)}")
            if exc.problem_count > SHOWN_PROBLEMS:
                self.stderr.write(_("  ... and %(n)s more") % {"n": f"{exc.problem_count - SHOWN_PROBLEMS:,}"})
            if (translation.get_language() or "en").startswith("en"):
                raise CommandError(str(exc)) from None
            raise CommandError(
                gettext(
                    "%(count)s problem(s) found, nothing was written. Fix the file or the mapping, or use "
                    "--skip-invalid --rejects PATH to import the good rows."
                )
                % {"count": f"{exc.problem_count:,}"}
            ) from None
        except ImportFileError as exc:
            raise CommandError(gettext("%(error)s; nothing was written") % {"error": translated(exc)}) from None
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(summary_text(summary, rejects=options["rejects"]))


def summary_text(s: ImportSummary, *, rejects: str | None = None) -> str:
    """Render the summary the way the command prints it."""
    lines = [
        _("%(kind)s from %(file)s (mapping %(mapping)s): %(rows)s rows read in %(seconds)s s")
        % {"kind": s.kind, "file": s.file, "mapping": s.mapping, "rows": f"{s.rows:,}", "seconds": f"{s.seconds:.1f}"}
    ]
    if s.kind == "purchases":
        invoices = _("purchases (invoices)")
        lines.append(f"  {pad(invoices, 21)} {s.invoices:,}")
    counts = [(_("created"), s.created), (_("updated"), s.updated), (_("unchanged"), s.unchanged), (_("rejected"), s.rejected)]
    lines += [f"  {pad(label, 10)} {n:>10,}" for label, n in counts]
    if s.skipped or s.skipped_reason:
        skipped = _("skipped")
        lines.append(f"  {pad(skipped, 10)} {s.skipped:>10,}  ({translated(s.skipped_reason)})")
    if s.kind == "purchases":
        lines.append(
            _("  not stored, net <= 0: %(n)s invoices (credit notes / cancellations), total %(total)s")
            % {"n": f"{s.credit_notes:,}", "total": f"{s.credit_total:,.2f}"}
        )
    made = [
        text % {"n": f"{n:,}"}
        for n, text in (
            (s.accounts_created, _("%(n)s accounts created")),
            (s.reps_created, _("%(n)s reps created")),
            (s.teams_created, _("%(n)s teams created")),
        )
        if n
    ]
    if made:
        lines.append(_("  also: %(made)s") % {"made": ", ".join(made)})
    for note in s.notes:
        lines.append(_("  note: %(note)s") % {"note": translated(note)})
    for problem in s.problems[:SHOWN_PROBLEMS]:
        lines.append(_("  rejected: %(problem)s") % {"problem": problem_text(problem)})
    if s.problem_count > SHOWN_PROBLEMS:
        lines.append(_("  ... and %(n)s more problems") % {"n": f"{s.problem_count - SHOWN_PROBLEMS:,}"})
    if rejects and (s.rejected or s.skipped):
        lines.append(_("  refused and skipped rows are in %(path)s") % {"path": rejects})
    if s.dry_run:
        lines.append(_("DRY RUN: nothing was written."))
    return "\n".join(lines)


class _Progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn, TimeRemainingColumn

            self._bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(_("importing"), total=None)
        return self

    def update(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total or None)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
