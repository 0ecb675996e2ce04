from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.demo.services import DEMO_PASSWORD, DemoDatabaseNotEmpty, DemoError, DemoResult, demo_load
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy

MAX_ACCOUNTS = 10_000_000
MAX_SNAPSHOTS = 36


def snapshot_dates(as_of: date, count: int) -> list[date]:
    """The month-ends before ``as_of`` and ``as_of`` itself: ``count`` dates, oldest first."""
    dates = [as_of]
    month_end = as_of.replace(day=1) - timedelta(days=1)
    while len(dates) < count:
        dates.append(month_end)
        month_end = month_end.replace(day=1) - timedelta(days=1)
    return sorted(dates[:count])


def _positive(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise CommandError(_("--accounts must be a whole number; got %(value)s") % {"value": repr(text)}) from None
    if not 1 <= value <= MAX_ACCOUNTS:
        raise CommandError(
            _("--accounts must be between 1 and %(max)s; got %(value)s") % {"max": f"{MAX_ACCOUNTS:,}", "value": value}
        )
    return value


class Command(KokyakuCommand):
    # Loading data does not depend on URLs, templates or admin: skip the system checks (and their cost).
    requires_system_checks: list[str] = []
    help = gettext_lazy(
        "Fill an empty database with a seeded demo portfolio (accounts, deals, activities, targets) and demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", default="2000", help=gettext_lazy("how many accounts (default 2,000)"))
        parser.add_argument("--seed", default="0", help=gettext_lazy("random seed; the same seed gives the same portfolio"))
        parser.add_argument(
            "--as-of", default=None, help=gettext_lazy("the last day of the demo history, YYYY-MM-DD (default today)")
        )
        parser.add_argument("--force", action="store_true", help=gettext_lazy("add the demo even if the database holds accounts"))
        parser.add_argument(
            "--if-empty", action="store_true", help=gettext_lazy("do nothing (and succeed) if the database holds accounts")
        )
        parser.add_argument(
            "--snapshots",
            default="6",
            help=gettext_lazy(
                "portfolio snapshots to compute after the load: the last N-1 month-ends and the as-of day (default 6; 0: none)"
            ),
        )
        parser.add_argument(
            "--locale",
            choices=["ja", "en"],
            default="ja",
            help=gettext_lazy("the language of company and person names and deal stages (default ja: 株式会社早坂証券, 受注)"),
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help=gettext_lazy("the address the app will be served at, for the closing message"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = _positive(str(options["accounts"]))
        try:
            seed = int(options["seed"])
        except ValueError:
            raise CommandError(_("--seed must be a whole number; got %(value)s") % {"value": repr(options["seed"])}) from None
        if seed < 0:
            raise CommandError(_("--seed must be zero or more; got %(value)s") % {"value": seed})
        as_of = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(
                    _("--as-of must be a date like 2026-03-31; got %(value)s") % {"value": repr(options["as_of"])}
                ) from None
        if options["force"] and options["if_empty"]:
            raise CommandError(_("--force and --if-empty contradict each other; pass one"))
        try:
            snapshots = int(options["snapshots"])
        except ValueError:
            raise CommandError(
                _("--snapshots must be a whole number; got %(value)s") % {"value": repr(options["snapshots"])}
            ) from None
        if not 0 <= snapshots <= MAX_SNAPSHOTS:
            raise CommandError(
                _("--snapshots must be between 0 and %(max)s; got %(value)s") % {"max": MAX_SNAPSHOTS, "value": snapshots}
            )
        try:
            result = self._load(accounts=accounts, seed=seed, as_of=as_of, force=options["force"], locale=options["locale"])
        except DemoDatabaseNotEmpty as exc:
            if options["if_empty"]:
                self.stdout.write(_("demo: skipped, %(reason)s") % {"reason": exc.what})
                return
            raise CommandError(str(exc)) from None
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        self._report(result, url=options["url"])
        if snapshots:
            self._snapshots(as_of or timezone.localdate(), snapshots)

    def _snapshots(self, as_of: date, count: int) -> None:
        """Compute month-end snapshots from the demo history, so Review and zone history have something to show."""
        from kokyaku.portfolio.selectors import team_matrix
        from kokyaku.portfolio.services import snapshot_create

        for day in snapshot_dates(as_of, count):
            snapshot = snapshot_create(actor=None, as_of=day)
            zones = team_matrix(snapshot).zone_accounts
            self.stdout.write(
                _("snapshot %(id)s as of %(as_of)s: A %(a)s / B %(b)s / C %(c)s in %(seconds)s s")
                % {
                    "id": snapshot.pk,
                    "as_of": day.isoformat(),
                    "a": f"{zones['A']:,}",
                    "b": f"{zones['B']:,}",
                    "c": f"{zones['C']:,}",
                    "seconds": f"{snapshot.seconds:.1f}",
                }
            )

    def _load(self, *, accounts: int, seed: int, as_of: date | None, force: bool, locale: str) -> DemoResult:
        if not (sys.stderr.isatty() and self.stdout.isatty()):
            return demo_load(actor=None, accounts=accounts, seed=seed, as_of=as_of, force=force, locale=locale)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn(_("demo accounts")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
        ) as bar:
            task = bar.add_task("demo", total=accounts)
            return demo_load(
                actor=None,  # the command line
                accounts=accounts,
                seed=seed,
                as_of=as_of,
                force=force,
                locale=locale,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )

    def _report(self, r: DemoResult, *, url: str) -> None:
        w = self.stdout.write
        w(
            _(
                "demo: %(accounts)s accounts, %(deals)s deals, %(activities)s activities, "
                "%(reps)s reps in %(teams)s teams, %(targets)s targets in %(seconds)s s"
            )
            % {
                "accounts": f"{r.accounts:,}",
                "deals": f"{r.deals:,}",
                "activities": f"{r.activities:,}",
                "reps": f"{r.reps:,}",
                "teams": f"{r.teams:,}",
                "targets": f"{r.targets:,}",
                "seconds": f"{r.seconds:.1f}",
            }
        )
        w(_("Serve it with `kokyaku serve` (or `make run`) and open %(url)s") % {"url": url})
        w(_("Demo logins (password %(password)s):") % {"password": DEMO_PASSWORD})
        for login in r.logins:
            who = f" - {login.rep}" if login.rep else ""
            note = "" if login.created else _(" (already existed, left unchanged)")
            w(f"  {login.username:<8} {login.role}{who}{note}")
