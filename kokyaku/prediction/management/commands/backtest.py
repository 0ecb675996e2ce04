"""`kokyaku backtest --as-of DATE [--horizon-months N] [--json PATH]`: past zones against later revenue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.domain.errors import DomainError
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.lib.refusals import domain_text
from kokyaku.lib.tabular import pad
from kokyaku.prediction.management.commands._common import as_of_date, write_json
from kokyaku.prediction.presenters import backtest_left_out
from kokyaku.prediction.selectors import version_as_of
from kokyaku.prediction.services import portfolio_backtest, version_store_backtest


def _line(label: str, block: dict[str, Any]) -> str:
    zones = block["zones"]
    cells = "  ".join(
        _("%(zone)s %(accounts)s acc, %(per_account)s/acc")
        % {"zone": z, "accounts": f"{zones[z]['accounts']:,}", "per_account": f"{zones[z]['per_account'] or 0:,.0f}"}
        for z in ("A", "B", "C")
    )
    ratio = "–" if block["a_over_c"] is None else f"{block['a_over_c']:.2f}"
    capture = "–" if block["a_capture"] is None else f"{block['a_capture']:.1%}"
    share = _("A's share of revenue %(capture)s") % {"capture": capture}
    return f"  {pad(label, 18)} {cells}  A/C {ratio}  {share}"


VERDICTS = {
    "clearly_better": gettext_lazy("zone A is clearly better than unit price alone"),
    "not_clearly_better": gettext_lazy(
        "zone A is NOT clearly better than unit price alone: on this data the probability axis adds little"
    ),
    "worse": gettext_lazy("zone A is WORSE than unit price alone: on this data rank accounts by unit price"),
}


def _verdict(versus: dict[str, Any]) -> str:
    if versus.get("same_size") is None or not versus.get("same_size_interval"):
        return _("  no zone A to compare with unit price alone")
    lo, hi = versus["same_size_interval"]
    return _(
        "  zone A vs the same number (%(n)s) of top-priced accounts: %(ratio)sx per account "
        "(90%% interval %(low)s-%(high)s; vs price terciles %(terciles)sx) -> %(verdict)s"
    ) % {
        "n": f"{versus['a_accounts']:,}",
        "ratio": f"{versus['same_size']:.2f}",
        "low": f"{lo:.2f}",
        "high": f"{hi:.2f}",
        "terciles": f"{versus['terciles']:.2f}",
        "verdict": VERDICTS[versus["verdict"]],
    }


class Command(KokyakuCommand):
    help = gettext_lazy(
        "Compute the portfolio as of a past date (with the models trained by then) and compare its zones with what "
        "each account bought in the following months, against zones from unit price alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of", required=True, help=gettext_lazy("YYYY-MM-DD: the past date of the portfolio")
        )
        parser.add_argument(
            "--horizon-months", dest="horizon", type=int, default=6, help=gettext_lazy("months of later revenue (default 6)")
        )
        parser.add_argument(
            "--json", dest="json", default=None, metavar="PATH", help=gettext_lazy("write the result as JSON ('-': stdout)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = as_of_date(options["as_of"])
        assert as_of is not None
        try:
            result = portfolio_backtest(as_of=as_of, horizon_months=options["horizon"])
        except DomainError as exc:
            raise CommandError(_("cannot back-test: %(error)s") % {"error": domain_text(exc)}) from None
        version = version_as_of(as_of)
        if version is not None:  # the model page charts the back-test of the version that served
            version_store_backtest(actor=None, version=version, result=result)
        if options["json"]:
            write_json(options["json"], result, self.stdout)
            if options["json"] == "-":
                return
        models = result.get("models")
        served = _("no trained model (today's sources)") if not models else _("model version %(id)s") % {"id": models["version"]}
        self.stdout.write(
            _("back-test as of %(as_of)s, revenue %(start)s .. %(end)s; %(served)s")
            % {"as_of": result["as_of"], "start": result["start"], "end": result["end"], "served": served}
        )
        self.stdout.write(_line(_("Kokyaku's zones"), result))
        self.stdout.write(_line(_("unit price alone"), result["price_only"]))
        self.stdout.write(_verdict(result.get("versus_price") or {}))
        left = backtest_left_out(result)
        if left is not None:
            self.stdout.write(
                _(
                    "%(n)s won deals are left out of the later revenue: no conversion rate is set for their currency "
                    "(%(others)s); set one with kokyaku company --rate and run the back-test again"
                )
                % {"n": f"{left['count']:,}", "others": left["list"]}
            )
