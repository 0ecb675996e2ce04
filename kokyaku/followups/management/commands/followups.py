"""`kokyaku followups [--rep NAME] [--json]`: the open follow-ups, soonest due first (the queue page's list)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.followups.models import FollowUp
from kokyaku.followups.selectors import followup_items, followup_list
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy, term
from kokyaku.lib.tabular import display_width, pad


class Command(KokyakuCommand):
    help = gettext_lazy("List follow-ups (open by default), soonest due first: due date, account, reason, assignee.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rep", help=gettext_lazy("only follow-ups of reps whose name contains this (case-insensitive)"))
        parser.add_argument(
            "--status", choices=[*FollowUp.Status.values, "all"], default="open", help=gettext_lazy("default: open")
        )
        parser.add_argument("--limit", type=int, default=200, help=gettext_lazy("how many (default 200)"))
        parser.add_argument("--json", action="store_true", help=gettext_lazy("one JSON object per follow-up"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError(_("--limit must be at least 1"))
        status = None if options["status"] == "all" else options["status"]
        today = timezone.localdate()
        items = followup_items(followup_list(status=status, rep_name=options["rep"]), today=today, limit=options["limit"])
        if options["json"]:
            for item in items:
                self.stdout.write(json.dumps(asdict(item), ensure_ascii=False, default=str))
            return
        if not items:
            if options["rep"]:
                self.stdout.write(_("no follow-ups for a rep named like %(name)s") % {"name": repr(options["rep"])})
            else:
                self.stdout.write(_("no follow-ups"))
            return
        reasons, statuses = dict(FollowUp.Reason.choices), dict(FollowUp.Status.choices)
        flag_width = max(7, display_width(_("OVERDUE")))
        for i in items:
            flag = _("OVERDUE") if i.overdue else ""
            who = i.assignee or _("(unassigned)")
            reason, status = term(i.reason, reasons.get(i.reason, i.reason)), term(i.status, statuses.get(i.status, i.status))
            account = _("%(name)s (account %(id)s)") % {"name": i.account_name, "id": i.account_id}
            self.stdout.write(f"{i.due_on} {pad(flag, flag_width)} {pad(reason, 8)} {pad(status, 9)} {pad(who, 24)} {account}")
