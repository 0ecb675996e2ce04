"""`kokyaku followups [--rep NAME] [--json]`: the open follow-ups, soonest due first (the queue page's list)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from kokyaku.followups.models import FollowUp
from kokyaku.followups.selectors import followup_items, followup_list
from kokyaku.lib.commands import KokyakuCommand


class Command(KokyakuCommand):
    help = "List follow-ups (open by default), soonest due first: due date, account, reason, assignee."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rep", help="only follow-ups of reps whose name contains this (case-insensitive)")
        parser.add_argument("--status", choices=[*FollowUp.Status.values, "all"], default="open", help="default: open")
        parser.add_argument("--limit", type=int, default=200, help="how many (default 200)")
        parser.add_argument("--json", action="store_true", help="one JSON object per follow-up")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        status = None if options["status"] == "all" else options["status"]
        today = timezone.localdate()
        items = followup_items(followup_list(status=status, rep_name=options["rep"]), today=today, limit=options["limit"])
        if options["json"]:
            for item in items:
                self.stdout.write(json.dumps(asdict(item), ensure_ascii=False, default=str))
            return
        if not items:
            self.stdout.write("no follow-ups" + (f" for a rep named like {options['rep']!r}" if options["rep"] else ""))
            return
        for i in items:
            flag = "OVERDUE" if i.overdue else ""
            who = i.assignee or "(unassigned)"
            self.stdout.write(
                f"{i.due_on} {flag:<7} {i.reason:<8} {i.status:<9} {who:<24} {i.account_name} (account {i.account_id})"
            )
