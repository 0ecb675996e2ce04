"""`kokyaku evaluate [--as-of DATE] [--json PATH]`: the metrics table of both models against every baseline."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.lib.refusals import domain_text
from kokyaku.prediction.management.commands._common import as_of_date, report_lines, write_json
from kokyaku.prediction.services import model_evaluate


class Command(KokyakuCommand):
    help = gettext_lazy(
        "Evaluate the deal model and the repeat-purchase model against every baseline on a time split of the data "
        "dated up to --as-of (default today) and print the metrics; stores nothing (kokyaku train stores)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", default=None, help=gettext_lazy("YYYY-MM-DD; only data dated up to this day is used")
        )
        parser.add_argument(
            "--json",
            dest="json",
            default=None,
            metavar="PATH",
            help=gettext_lazy('write {"deal": ..., "repeat": ...} as JSON (\'-\': stdout)'),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = model_evaluate(as_of=as_of_date(options["as_of"]))
        except DomainError as exc:
            raise CommandError(_("cannot evaluate the models: %(error)s") % {"error": domain_text(exc)}) from None
        if options["json"]:
            write_json(options["json"], report, self.stdout)
            if options["json"] == "-":
                return
        self.stdout.write("\n".join(report_lines(report)))
