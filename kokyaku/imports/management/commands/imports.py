"""`kokyaku imports`: the import history, newest first (the import page's list, for the terminal and scripts)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.imports.fields import KINDS
from kokyaku.imports.i18n import problem_text, translated
from kokyaku.imports.selectors import import_runs_recent
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.lib.tabular import pad


class Command(KokyakuCommand):
    requires_system_checks: list[str] = []
    help = gettext_lazy(
        "List recent imports (web, API and command line), newest first: outcome, counts, who and the first problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=20, help=gettext_lazy("how many (default 20)"))
        parser.add_argument("--kind", choices=KINDS, help=gettext_lazy("only imports of this kind"))
        parser.add_argument(
            "--json", action="store_true", help=gettext_lazy("one JSON object per import, as GET /api/imports gives")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError(_("--limit must be at least 1"))
        runs = list(import_runs_recent(limit=options["limit"], kind=options["kind"]))
        if options["json"]:
            from kokyaku.imports.api import run_as_json  # the API's own shape, so scripts read one format

            for run in runs:
                self.stdout.write(json.dumps(run_as_json(run), ensure_ascii=False, cls=DjangoJSONEncoder))  # dates as the API
            return
        if not runs:
            self.stdout.write(_("no imports yet"))
            return
        outcomes = {"imported": _("imported"), "refused": _("refused"), "unusable": _("unusable")}
        sources = {"web": _("web"), "api": "api", "cli": _("cli"), "schedule": _("schedule")}  # English: the codes
        for run in runs:
            who = run.user.get_username() if run.user else "-"
            counts = _("created %(created)s updated %(updated)s unchanged %(unchanged)s rejected %(rejected)s") % {
                "created": f"{run.created:,}",
                "updated": f"{run.updated:,}",
                "unchanged": f"{run.unchanged:,}",
                "rejected": f"{run.rejected:,}",
            }
            outcome, source = outcomes.get(run.outcome, run.outcome), sources.get(run.source, run.source)
            self.stdout.write(
                f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M} {pad(outcome, 8)} {run.kind:<10} {run.file_name}  "
                f"{counts}  ({source}, {who}, {run.seconds:.1f} s)"
            )
            first = translated(run.error) if run.error else (problem_text(run.problems[0]) if run.problems else "")
            if first:
                more = _("  (+%(n)s more)") % {"n": f"{run.problem_count - 1:,}"} if run.problem_count > 1 else ""
                self.stdout.write(f"    {first}{more}")
