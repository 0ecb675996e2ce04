"""`kokyaku company`: show or change the company settings (currency, fiscal-year start, dormancy period).

The same settings as the web page `/settings/company/`, for a team that sets up from the command line:
a data set in pounds (the Online Retail purchases) needs the company currency GBP before its revenue
counts in retention and its exports show £ rather than ¥ (docs/import.md).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.crm.selectors import company_settings
from kokyaku.crm.services import company_settings_update
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy


class Command(KokyakuCommand):
    help = gettext_lazy(
        "Show the company settings, or change them: --currency (ISO 4217, e.g. JPY, GBP), "
        "--fiscal-year-start (month 1-12), --dormancy-days (days without a purchase before a customer is dormant)."
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

    def handle(self, *args: Any, **options: Any) -> None:
        company = company_settings()
        wanted = (options["currency"], options["fiscal_year_start"], options["dormancy_days"])
        if any(value is not None for value in wanted):
            currency, month, days = wanted
            try:
                company = company_settings_update(
                    actor=None,  # the command line administers the installation
                    currency=company.currency if currency is None else currency,
                    fiscal_year_start_month=company.fiscal_year_start_month if month is None else month,
                    dormancy_days=company.dormancy_days if days is None else days,
                )
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
