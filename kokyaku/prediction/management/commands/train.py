"""`kokyaku train [--as-of DATE] [--json PATH]`: fit, evaluate and store both probability models (cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import BACKGROUND_HELP, KokyakuCommand, gettext_lazy, run_in_background, stage_text
from kokyaku.lib.refusals import domain_text
from kokyaku.prediction.management.commands._common import as_of_date, report_lines, write_json
from kokyaku.prediction.services import model_train


class Command(KokyakuCommand):
    help = gettext_lazy(
        "Fit the deal model and the repeat-purchase model on the data dated up to --as-of (default today), "
        "evaluate them against every baseline on a time split, and store them as a new model version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", default=None, help=gettext_lazy("YYYY-MM-DD; only data dated up to this day is used")
        )
        parser.add_argument("--background", action="store_true", help=BACKGROUND_HELP)
        parser.add_argument(
            "--json", dest="json", default=None, metavar="PATH", help=gettext_lazy("also write the report as JSON ('-': stdout)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["background"]:
            run_in_background(self, "train", as_of=options["as_of"])
            return
        verbose = int(options.get("verbosity", 1)) >= 1

        def progress(stage: str, count: int) -> None:
            if verbose:
                self.stderr.write(f"  {stage_text(stage)}: {count:,}")

        try:
            version = model_train(actor=None, as_of=as_of_date(options["as_of"]), progress=progress)
        except DomainError as exc:
            raise CommandError(_("cannot train the models: %(error)s") % {"error": domain_text(exc)}) from None
        if options["json"]:
            write_json(
                options["json"], {"version": version.pk, "as_of": version.as_of.isoformat(), **version.report}, self.stdout
            )
            if options["json"] == "-":
                return
        self.stdout.write(
            _(
                "model version %(id)s, data up to %(as_of)s (%(closed)s closed deals, %(customers)s customers with "
                "purchases, %(scored)s open deals scored) in %(seconds)s s"
            )
            % {
                "id": version.pk,
                "as_of": version.as_of,
                "closed": f"{version.closed_deals:,}",
                "customers": f"{version.customers:,}",
                "scored": f"{version.predictions.count():,}",
                "seconds": f"{version.seconds:.1f}",
            }
        )
        self.stdout.write("\n".join(report_lines(version.report)))
