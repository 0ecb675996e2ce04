"""`kokyaku retention [--as-of DATE] [--json PATH]`: the classic curve beside the company's own, and the forecast."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.lib.refusals import domain_text
from kokyaku.lib.tabular import text_table
from kokyaku.retention.selectors import Retention, measure

REASONS = {
    "fitted": gettext_lazy("the company's own curve (shifted-beta-geometric fit) stands"),
    "short_history": gettext_lazy(
        "the history is too short (fewer than 3 whole quarters past the dormancy period): the classic curve stands in"
    ),
    "too_few_customers": gettext_lazy("fewer than 30 customers: the classic curve stands in"),
    "too_few_losses": gettext_lazy("fewer than 10 customers lost: the classic curve stands in"),
    "fit_failed": gettext_lazy("the model could not be fitted: the classic curve stands in"),
}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--as-of: %(value)s is not a date (use YYYY-MM-DD)") % {"value": repr(value)}) from None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def summary(record: Retention) -> list[str]:
    """The record as the lines the command prints."""
    lines = [
        _(
            "retention as of %(as_of)s: %(customers)s customers from %(purchases)s purchases, "
            "%(lost)s lost (no purchase for %(days)s days)"
        )
        % {
            "as_of": record.as_of,
            "customers": f"{record.customers:,}",
            "purchases": f"{record.purchases:,}",
            "lost": f"{record.lost:,}",
            "days": record.dormancy_days,
        },
        _("model: %(model)s — %(reason)s") % {"model": record.model, "reason": REASONS.get(record.reason, record.reason)},
    ]
    if record.alpha is not None and record.beta is not None:
        lines.append(
            _("sBG on quarters: alpha %(alpha)s, beta %(beta)s (%(n)s whole quarters)")
            % {"alpha": f"{record.alpha:.3f}", "beta": f"{record.beta:.3f}", "n": record.history_periods}
        )
    header = [pgettext("retention: years after the first purchase", "after"), _("classic"), _("measured"), _("projection")]
    rows = [[_years(p.years), _pct(p.classic), _pct(p.measured), _pct(p.model)] for p in record.points if p.years]
    lines += ["", *text_table(header, rows)]
    lines += [
        "",
        _("today's customers (not dormant), %(level)s interval; revenue at stake in %(currency)s:")
        % {"level": f"{record.level:.0%}", "currency": record.currency},
    ]
    for f in record.forecast:
        lines.append(
            _(
                "after %(years)s: %(remaining)s of %(customers)s remain (%(low)s – %(high)s), revenue at stake "
                "%(at_stake)s (%(at_stake_low)s – %(at_stake_high)s); classic curve: %(classic)s remain, "
                "%(classic_at_stake)s at stake"
            )
            % {
                "years": _years(f.years),
                "remaining": f"{f.remaining:,.0f}",
                "customers": f"{f.customers:,}",
                "low": f"{f.remaining_low:,.0f}",
                "high": f"{f.remaining_high:,.0f}",
                "at_stake": f"{f.revenue_at_stake:,.0f}",
                "at_stake_low": f"{f.revenue_at_stake_low:,.0f}",
                "at_stake_high": f"{f.revenue_at_stake_high:,.0f}",
                "classic": f"{f.classic_remaining:,.0f}",
                "classic_at_stake": f"{f.classic_revenue_at_stake:,.0f}",
            }
        )
    return lines


def _years(n: int) -> str:
    return ngettext("%(n)s year", "%(n)s years", n) % {"n": n}


class Command(KokyakuCommand):
    help = gettext_lazy(
        "Measure customer retention from the purchases (won deals) up to --as-of: "
        "the classic curve beside the company's own, and the forecast."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", default=None, help=gettext_lazy("YYYY-MM-DD (default today); only purchases up to it count")
        )
        parser.add_argument(
            "--json", dest="json_path", default=None, help=gettext_lazy("also write the whole record as JSON to this file")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        path = Path(options["json_path"]) if options["json_path"] else None
        if path is not None and not path.parent.exists():
            raise CommandError(_("--json: the folder %(folder)s does not exist") % {"folder": repr(str(path.parent))})
        try:
            record = measure(as_of)
        except DomainError as exc:
            raise CommandError(_("cannot measure retention: %(error)s") % {"error": domain_text(exc)}) from None
        self.stdout.write("\n".join(summary(record)))
        if path is not None:
            try:
                path.write_text(json.dumps(asdict(record), default=str, ensure_ascii=False, indent=1), encoding="utf-8")
            except OSError as exc:
                raise CommandError(_("cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}) from None
            self.stdout.write(_("wrote %(path)s") % {"path": path})
