"""`kokyaku imports`: the import history, newest first (the import page's list, for the terminal and scripts)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from kokyaku.imports.fields import KINDS
from kokyaku.imports.selectors import import_runs_recent
from kokyaku.lib.commands import KokyakuCommand


class Command(KokyakuCommand):
    requires_system_checks: list[str] = []
    help = "List recent imports (web, API and command line), newest first: outcome, counts, who and the first problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=20, help="how many (default 20)")
        parser.add_argument("--kind", choices=KINDS, help="only imports of this kind")
        parser.add_argument("--json", action="store_true", help="one JSON object per import, as GET /api/imports gives")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        runs = list(import_runs_recent(limit=options["limit"], kind=options["kind"]))
        if options["json"]:
            from kokyaku.imports.api import run_as_json  # the API's own shape, so scripts read one format

            for run in runs:
                self.stdout.write(json.dumps(run_as_json(run), ensure_ascii=False, cls=DjangoJSONEncoder))  # dates as the API
            return
        if not runs:
            self.stdout.write("no imports yet")
            return
        for run in runs:
            who = run.user.get_username() if run.user else "-"
            line = (
                f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M} {run.outcome:<8} {run.kind:<10} {run.file_name}  "
                f"created {run.created:,} updated {run.updated:,} unchanged {run.unchanged:,} rejected {run.rejected:,}  "
                f"({run.source}, {who}, {run.seconds:.1f} s)"
            )
            self.stdout.write(line)
            first = run.error or (str(run.problems[0]) if run.problems else "")
            if first:
                self.stdout.write(f"    {first}" + (f"  (+{run.problem_count - 1:,} more)" if run.problem_count > 1 else ""))
