"""`kokyaku company`: show or change the company settings (currency, fiscal-year start, dormancy period, conversion rates).

The same settings as the web page `/settings/company/`, for a team that sets up from the command line:
a data set in pounds (the Online Retail purchases) needs the company currency GBP before its revenue
counts in retention and its exports show £ rather than ¥ (docs/import.md); a JPY company with some
USD deals sets ``--rate USD=151.3`` so that they count converted.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from kokyaku.crm.selectors import company_settings, conversion_rates
from kokyaku.crm.services import company_settings_update, conversion_rate_clear, conversion_rate_set
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.lib.currency import rate_text


class Command(KokyakuCommand):
    help = gettext_lazy(
        "Show the company settings, or change them: --currency (ISO 4217, e.g. JPY, GBP), "
        "--fiscal-year-start (month 1-12), --dormancy-days (days without a purchase before a customer is dormant), "
        "--rate CODE=RATE (units of the company currency one unit is worth, e.g. USD=151.3; repeatable), "
        "--clear-rate CODE (repeatable)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--currency", default=None, help=gettext_lazy("ISO 4217 code, e.g. JPY, USD, GBP"))
        parser.add_argument(
            "--fiscal-year-start",
            type=int,
            default=None,
            metavar="MONTH",
            help=gettext_lazy("the month the fiscal year starts in, 1-12"),
        )
        parser.add_argument(
            "--dormancy-days",
            type=int,
            default=None,
            metavar="DAYS",
            help=gettext_lazy("days without a purchase before a customer is dormant, at least 1"),
        )
        parser.add_argument(
            "--rate",
            action="append",
            default=[],
            metavar="CODE=RATE",
            help=gettext_lazy("a conversion rate: units of the company currency one unit is worth, e.g. USD=151.3"),
        )
        parser.add_argument(
            "--clear-rate", action="append", default=[], metavar="CODE", help=gettext_lazy("remove a conversion rate")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        company = company_settings()
        wanted = (options["currency"], options["fiscal_year_start"], options["dormancy_days"])
        rates = []
        for text in options["rate"]:
            code, sep, value = str(text).partition("=")
            if not sep:
                raise CommandError(
                    _("--rate %(text)s: write CODE=RATE, e.g. --rate USD=151.3; nothing was changed") % {"text": text}
                )
            rates.append((code, value))
        try:
            with transaction.atomic():  # all of it or nothing
                for code in options["clear_rate"]:
                    conversion_rate_clear(actor=None, currency=code)  # the command line administers the installation
                if any(value is not None for value in wanted):
                    currency, month, days = wanted
                    company = company_settings_update(
                        actor=None,
                        currency=company.currency if currency is None else currency,
                        fiscal_year_start_month=company.fiscal_year_start_month if month is None else month,
                        dormancy_days=company.dormancy_days if days is None else days,
                    )
                for code, value in rates:
                    conversion_rate_set(actor=None, currency=code, rate=value)
        except ValidationError as exc:
            problems = [f"{field}: {' '.join(messages).rstrip('.')}" for field, messages in exc.message_dict.items()]
            raise CommandError(_("%(problems)s; nothing was changed") % {"problems": "; ".join(problems)}) from None
        self.stdout.write(
            _(
                "currency %(currency)s, fiscal year from month %(month)s, "
                "dormant after %(days)s days without a purchase and nothing open"
            )
            % {"currency": company.currency, "month": company.fiscal_year_start_month, "days": company.dormancy_days}
        )
        known = conversion_rates()
        if known:
            listed = ", ".join(f"{code} {rate_text(rate)}" for code, rate in known.items())
            self.stdout.write(
                _("conversion rates (%(currency)s for one unit): %(rates)s") % {"currency": company.currency, "rates": listed}
            )
