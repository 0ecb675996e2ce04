"""`kokyaku duplicates`: accounts and reps whose names are one name written several ways, for review, and their merge."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from kokyaku.imports.merge import MergeResult, duplicates_find, duplicates_merge, duplicates_merge_all
from kokyaku.lib.commands import KokyakuCommand

KINDS = {"accounts": "account", "reps": "rep"}


class Command(KokyakuCommand):
    requires_system_checks: list[str] = []
    help = (
        "List accounts (or reps) whose names are the same once legal forms (株式会社, (株), ㈱ ...), widths and spaces "
        "are set aside; merge them: --keep ID --merge ID [ID ...], or --all (each group into its first record)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="accounts or reps")
        parser.add_argument("--keep", type=int, help="the id of the record to keep")
        parser.add_argument("--merge", type=int, nargs="+", default=[], help="the ids of the records merged into it")
        parser.add_argument("--all", action="store_true", help="merge every group listed into its first record")
        parser.add_argument("--json", action="store_true", help="the groups (or merges) as JSON lines")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = KINDS[options["kind"]]
        if options["all"] and (options["keep"] or options["merge"]):
            raise CommandError("--all merges every group as listed; do not give --keep or --merge with it")
        if bool(options["keep"]) != bool(options["merge"]):
            raise CommandError("give both --keep ID and --merge ID [ID ...]")
        try:
            if options["all"]:
                self._report(duplicates_merge_all(actor=None, kind=kind), options["json"])
                return
            if options["keep"]:
                result = duplicates_merge(actor=None, kind=kind, keep=options["keep"], merge=options["merge"])
                self._report([result], options["json"])
                return
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        groups = duplicates_find(kind)
        if options["json"]:
            for g in groups:
                records = [{"id": r.pk, "external_id": r.external_id, "name": r.name, "deals": r.deals} for r in g.records]
                self.stdout.write(json.dumps({"kind": kind, "key": g.key, "records": records}, ensure_ascii=False))
            return
        if not groups:
            self.stdout.write(f"no duplicate {options['kind']}")
            return
        for g in groups:
            self.stdout.write(f"{g.keep.name}  ({len(g.records)} records)")
            for i, r in enumerate(g.records):
                mark = "keep " if i == 0 else "merge"
                self.stdout.write(f"  {mark} id {r.pk:<8} {r.external_id:<20} {r.name}  ({r.deals:,} deals)")
            others = " ".join(str(r.pk) for r in g.records[1:])
            self.stdout.write(f"  kokyaku duplicates {options['kind']} --keep {g.keep.pk} --merge {others}")
        self.stdout.write(f"{len(groups):,} groups; nothing merged until you run a merge (or --all)")

    def _report(self, results: list[MergeResult], as_json: bool) -> None:
        for r in results:
            a = r.audit
            if as_json:
                line = {"kept": a.kept_id, "name": a.kept_name, "merged": [m["id"] for m in a.merged], "moved": r.moved}
                self.stdout.write(json.dumps({**line, "dropped": r.dropped, "aliases": r.aliases}, ensure_ascii=False))
                continue
            names = " / ".join(str(m["name"]) for m in a.merged)
            moved = ", ".join(f"{label} {n:,}" for label, n in r.moved.items()) or "nothing"
            self.stdout.write(f"merged {names} into {a.kept_name} (id {a.kept_id}): moved {moved}")
            if r.aliases:
                self.stdout.write(f"  external ids that now name it (a later import lands on it): {', '.join(r.aliases)}")
            if r.dropped:
                dropped = ", ".join(f"{label} {n:,}" for label, n in r.dropped.items())
                self.stdout.write(f"  dropped (the kept record has its own): {dropped}")
        if not results:
            self.stdout.write("nothing to merge")
