"""`kokyaku backtest --as-of DATE [--horizon-months N] [--json PATH]`: past zones against later revenue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import KokyakuCommand
from kokyaku.prediction.management.commands._common import as_of_date, write_json
from kokyaku.prediction.selectors import version_as_of
from kokyaku.prediction.services import portfolio_backtest, version_store_backtest


def _line(label: str, block: dict[str, Any]) -> str:
    zones = block["zones"]
    cells = "  ".join(f"{z} {zones[z]['accounts']:,} acc, {zones[z]['per_account'] or 0:,.0f}/acc" for z in ("A", "B", "C"))
    ratio = "–" if block["a_over_c"] is None else f"{block['a_over_c']:.2f}"
    capture = "–" if block["a_capture"] is None else f"{block['a_capture']:.1%}"
    return f"  {label:<18} {cells}  A/C {ratio}  A's share of revenue {capture}"


VERDICTS = {
    "clearly_better": "zone A is clearly better than unit price alone",
    "not_clearly_better": "zone A is NOT clearly better than unit price alone: on this data the probability axis adds little",
    "worse": "zone A is WORSE than unit price alone: on this data rank accounts by unit price",
}


def _verdict(versus: dict[str, Any]) -> str:
    if versus.get("same_size") is None or not versus.get("same_size_interval"):
        return "  no zone A to compare with unit price alone"
    lo, hi = versus["same_size_interval"]
    return (
        f"  zone A vs the same number ({versus['a_accounts']:,}) of top-priced accounts: {versus['same_size']:.2f}x per account "
        f"(90% interval {lo:.2f}-{hi:.2f}; vs price terciles {versus['terciles']:.2f}x) -> {VERDICTS[versus['verdict']]}"
    )


class Command(KokyakuCommand):
    help = (
        "Compute the portfolio as of a past date (with the models trained by then) and compare its zones with what "
        "each account bought in the following months, against zones from unit price alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD: the past date of the portfolio")
        parser.add_argument("--horizon-months", dest="horizon", type=int, default=6, help="months of later revenue (default 6)")
        parser.add_argument("--json", dest="json", default=None, metavar="PATH", help="write the result as JSON ('-': stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = as_of_date(options["as_of"])
        assert as_of is not None
        try:
            result = portfolio_backtest(as_of=as_of, horizon_months=options["horizon"])
        except DomainError as exc:
            raise CommandError(f"cannot back-test: {exc}") from None
        version = version_as_of(as_of)
        if version is not None:  # the model page charts the back-test of the version that served
            version_store_backtest(actor=None, version=version, result=result)
        if options["json"]:
            write_json(options["json"], result, self.stdout)
            if options["json"] == "-":
                return
        models = result.get("models")
        served = "no trained model (today's sources)" if not models else f"model version {models['version']}"
        self.stdout.write(f"back-test as of {result['as_of']}, revenue {result['start']} .. {result['end']}; {served}")
        self.stdout.write(_line("Kokyaku's zones", result))
        self.stdout.write(_line("unit price alone", result["price_only"]))
        self.stdout.write(_verdict(result.get("versus_price") or {}))
