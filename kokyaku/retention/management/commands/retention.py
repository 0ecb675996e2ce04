"""`kokyaku retention [--as-of DATE] [--json PATH]`: the classic curve beside the company's own, and the forecast."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import KokyakuCommand
from kokyaku.retention.selectors import Retention, measure

REASONS = {
    "fitted": "the company's own curve (shifted-beta-geometric fit) stands",
    "short_history": (
        "the history is too short (fewer than 3 whole quarters past the dormancy period): the classic curve stands in"
    ),
    "too_few_customers": "fewer than 30 customers: the classic curve stands in",
    "too_few_losses": "fewer than 10 customers lost: the classic curve stands in",
    "fit_failed": "the model could not be fitted: the classic curve stands in",
}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of: {value!r} is not a date (use YYYY-MM-DD)") from None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def summary(record: Retention) -> list[str]:
    """The record as the lines the command prints."""
    lines = [
        f"retention as of {record.as_of}: {record.customers:,} customers from {record.purchases:,} purchases, "
        f"{record.lost:,} lost (no purchase for {record.dormancy_days} days)",
        f"model: {record.model} — {REASONS.get(record.reason, record.reason)}",
    ]
    if record.alpha is not None and record.beta is not None:
        lines.append(
            f"sBG on quarters: alpha {record.alpha:.3f}, beta {record.beta:.3f} ({record.history_periods} whole quarters)"
        )
    lines += ["", "after    classic  measured  projection"]
    lines += [
        f"{p.years} year{'s' if p.years > 1 else ' '}  {_pct(p.classic):>7}  {_pct(p.measured):>8}  {_pct(p.model):>10}"
        for p in record.points
        if p.years
    ]
    level = f"{record.level:.0%}"
    lines += ["", f"today's customers (not dormant), {level} interval; revenue at stake in {record.currency}:"]
    for f in record.forecast:
        lines.append(
            f"after {f.years} year{'s' if f.years > 1 else ' '}: {f.remaining:,.0f} of {f.customers:,} remain "
            f"({f.remaining_low:,.0f} – {f.remaining_high:,.0f}), revenue at stake {f.revenue_at_stake:,.0f} "
            f"({f.revenue_at_stake_low:,.0f} – {f.revenue_at_stake_high:,.0f}); classic curve: "
            f"{f.classic_remaining:,.0f} remain, {f.classic_revenue_at_stake:,.0f} at stake"
        )
    return lines


class Command(KokyakuCommand):
    help = (
        "Measure customer retention from the purchases (won deals) up to --as-of: "
        "the classic curve beside the company's own, and the forecast."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default today); only purchases up to it count"
        )
        parser.add_argument("--json", dest="json_path", default=None, help="also write the whole record as JSON to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        path = Path(options["json_path"]) if options["json_path"] else None
        if path is not None and not path.parent.exists():
            raise CommandError(f"--json: the folder {str(path.parent)!r} does not exist")
        try:
            record = measure(as_of)
        except DomainError as exc:
            raise CommandError(f"cannot measure retention: {exc}") from None
        self.stdout.write("\n".join(summary(record)))
        if path is not None:
            try:
                path.write_text(json.dumps(asdict(record), default=str, ensure_ascii=False, indent=1), encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
            self.stdout.write(f"wrote {path}")
