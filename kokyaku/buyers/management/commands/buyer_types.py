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
from django.utils.translation import gettext as _

from kokyaku.buyers.services import suggestions_compute
from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy, term
from kokyaku.lib.refusals import domain_text

# how the suggestions were made, as the team page names the methods (the code itself in English)
METHODS = {"rules": gettext_lazy("Rules"), "learned": gettext_lazy("Learned suggestion")}


class Command(KokyakuCommand):
    help = gettext_lazy(
        "suggest: suggest every account's buyer type from behaviour alone and report the agreement with recorded types."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["suggest"], help=gettext_lazy("what to do (only: suggest)"))
        parser.add_argument(
            "--as-of",
            dest="as_of",
            default=None,
            help=gettext_lazy(
                "YYYY-MM-DD; behaviour dated up to this day (default: the latest snapshot's as-of date, today without one)"
            ),
        )
        parser.add_argument(
            "--json", dest="json_path", default=None, help=gettext_lazy("write the agreement report to this file")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(
                    _("--as-of: %(value)s is not a date (use YYYY-MM-DD)") % {"value": repr(options["as_of"])}
                ) from None
        try:
            result = suggestions_compute(actor=None, as_of=as_of)
        except DomainError as exc:
            raise CommandError(_("cannot suggest buyer types: %(error)s") % {"error": domain_text(exc)}) from None
        report = result.report
        if options["json_path"]:
            path = Path(options["json_path"])
            try:
                path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            except OSError as exc:
                raise CommandError(
                    _("--json: cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
                ) from None
        agreement = _("n/a") if report["agreement"] is None else f"{report['agreement']:.1%}"
        self.stdout.write(
            _(
                "buyer types as of %(as_of)s (%(method)s): %(accounts)s accounts, %(suggested)s suggested, "
                "%(to_confirm)s to confirm; agreement with recorded types %(agreement)s"
            )
            % {
                "as_of": result.as_of,
                "method": term(result.method, METHODS.get(result.method, result.method)),
                "accounts": f"{result.accounts:,}",
                "suggested": f"{result.suggested:,}",
                "to_confirm": f"{result.to_confirm:,}",
                "agreement": agreement,
            }
        )
        if result.note:
            self.stdout.write(_("  rules used: %(note)s") % {"note": result.note})
