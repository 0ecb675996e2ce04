"""`kokyaku snapshot [--as-of DATE]`: compute and store the portfolio (safe to run from cron)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import BACKGROUND_HELP, KokyakuCommand, gettext_lazy, run_in_background, stage_text
from kokyaku.lib.refusals import domain_text
from kokyaku.portfolio.models import Criteria
from kokyaku.portfolio.selectors import team_matrix
from kokyaku.portfolio.services import snapshot_create


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--as-of: %(value)s is not a date (use YYYY-MM-DD)") % {"value": repr(value)}) from None


class Command(KokyakuCommand):
    help = gettext_lazy("Compute the portfolio from the deals dated up to --as-of (default today) and store it as a snapshot.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", default=None, help=gettext_lazy("YYYY-MM-DD; only data dated up to this day is used")
        )
        parser.add_argument(
            "--criteria", type=int, default=None, help=gettext_lazy("criteria version id (default: the current one)")
        )
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
                raise CommandError(_("--criteria: there is no criteria version %(id)s") % {"id": options["criteria"]})
        verbose = int(options.get("verbosity", 1)) >= 1

        def progress(stage: str, count: int) -> None:
            if verbose:
                self.stderr.write(_("  %(stage)s: %(n)s rows") % {"stage": stage_text(stage), "n": f"{count:,}"})

        try:
            snapshot = snapshot_create(actor=None, as_of=as_of, criteria=criteria, progress=progress)
        except DomainError as exc:
            raise CommandError(_("cannot compute the portfolio: %(error)s") % {"error": domain_text(exc)}) from None
        zones = team_matrix(snapshot).zone_accounts
        self.stdout.write(
            _("snapshot %(id)s as of %(as_of)s: %(accounts)s accounts (A %(a)s / B %(b)s / C %(c)s) in %(seconds)s s")
            % {
                "id": snapshot.pk,
                "as_of": snapshot.as_of,
                "accounts": f"{snapshot.account_count:,}",
                "a": f"{zones['A']:,}",
                "b": f"{zones['B']:,}",
                "c": f"{zones['C']:,}",
                "seconds": f"{snapshot.seconds:.1f}",
            }
        )
        models = (snapshot.notes or {}).get("models")
        if models:
            self.stdout.write(
                _(
                    "  probability models: version %(version)s (data up to %(as_of)s); deals: %(deal)s (%(deal_reason)s), "
                    "repeat purchases: %(repeat)s (%(repeat_reason)s)"
                )
                % {
                    "version": models["version"],
                    "as_of": models["as_of"],
                    "deal": models["deal"]["serving"],
                    "deal_reason": models["deal"]["reason"],
                    "repeat": models["repeat"]["serving"],
                    "repeat_reason": models["repeat"]["reason"],
                }
            )
