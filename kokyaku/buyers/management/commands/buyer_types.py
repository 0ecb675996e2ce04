"""`kokyaku buyer-types suggest [--as-of DATE] [--json PATH]`: suggest every account's type from its behaviour.

The suggestions are stored beside the recorded types (never over them) and listed for the owners to
confirm; the command reports how they agree with the types reps recorded. ``--json`` writes
``{"accounts", "suggested", "agreement", "confusion"}`` (docs/buyer-types.md, section 4).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from kokyaku.buyers.services import suggestions_compute
from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import KokyakuCommand


class Command(KokyakuCommand):
    help = "suggest: suggest every account's buyer type from behaviour alone and report the agreement with recorded types."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["suggest"])
        parser.add_argument(
            "--as-of", dest="as_of", default=None, help="YYYY-MM-DD; behaviour dated up to this day (default today)"
        )
        parser.add_argument("--json", dest="json_path", default=None, help="write the agreement report to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(f"--as-of: {options['as_of']!r} is not a date (use YYYY-MM-DD)") from None
        try:
            result = suggestions_compute(actor=None, as_of=as_of)
        except DomainError as exc:
            raise CommandError(f"cannot suggest buyer types: {exc}") from None
        report = result.report
        if options["json_path"]:
            path = Path(options["json_path"])
            try:
                path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"--json: cannot write {path}: {exc.strerror}") from None
        agreement = "n/a" if report["agreement"] is None else f"{report['agreement']:.1%}"
        self.stdout.write(
            f"buyer types as of {result.as_of} ({result.method}): {result.accounts:,} accounts, "
            f"{result.suggested:,} suggested, {result.to_confirm:,} to confirm; agreement with recorded types {agreement}"
        )
        if result.note:
            self.stdout.write(f"  rules used: {result.note}")
