"""`kokyaku snapshot [--as-of DATE]`: compute and store the portfolio (safe to run from cron)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import BACKGROUND_HELP, KokyakuCommand, run_in_background
from kokyaku.portfolio.models import Criteria
from kokyaku.portfolio.selectors import team_matrix
from kokyaku.portfolio.services import snapshot_create


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of: {value!r} is not a date (use YYYY-MM-DD)") from None


class Command(KokyakuCommand):
    help = "Compute the portfolio from the deals dated up to --as-of (default today) and store it as a snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD; only data dated up to this day is used")
        parser.add_argument("--criteria", type=int, default=None, help="criteria version id (default: the current one)")
        parser.add_argument("--background", action="store_true", help=BACKGROUND_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else None
        if options["background"]:
            run_in_background(self, "snapshot", as_of=as_of, criteria=options["criteria"])
            return
        criteria = None
        if options["criteria"] is not None:
            criteria = Criteria.objects.filter(pk=options["criteria"]).first()
            if criteria is None:
                raise CommandError(f"--criteria: there is no criteria version {options['criteria']}")
        verbose = int(options.get("verbosity", 1)) >= 1

        def progress(stage: str, count: int) -> None:
            if verbose:
                self.stderr.write(f"  {stage}: {count:,} rows")

        try:
            snapshot = snapshot_create(actor=None, as_of=as_of, criteria=criteria, progress=progress)
        except DomainError as exc:
            raise CommandError(f"cannot compute the portfolio: {exc}") from None
        zones = team_matrix(snapshot).zone_accounts
        self.stdout.write(
            f"snapshot {snapshot.pk} as of {snapshot.as_of}: {snapshot.account_count:,} accounts "
            f"(A {zones['A']:,} / B {zones['B']:,} / C {zones['C']:,}) in {snapshot.seconds:.1f} s"
        )
        models = (snapshot.notes or {}).get("models")
        if models:
            self.stdout.write(
                f"  probability models: version {models['version']} (data up to {models['as_of']}); "
                f"deals: {models['deal']['serving']} ({models['deal']['reason']}), "
                f"repeat purchases: {models['repeat']['serving']} ({models['repeat']['reason']})"
            )
