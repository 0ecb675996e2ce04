"""`kokyaku duplicates`: accounts and reps whose names are one name written several ways, for review, and their merge."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.imports.merge import MergeResult, duplicates_find, duplicates_merge, duplicates_merge_all
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.lib.tabular import pad

KINDS = {"accounts": "account", "reps": "rep"}


class Command(KokyakuCommand):
    requires_system_checks: list[str] = []
    help = gettext_lazy(
        "List accounts (or reps) whose names are the same once legal forms (株式会社, (株), ㈱ ...), widths and spaces "
        "are set aside; merge them: --keep ID --merge ID [ID ...], or --all (each group into its first record)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help=gettext_lazy("accounts or reps"))
        parser.add_argument("--keep", type=int, help=gettext_lazy("the id of the record to keep"))
        parser.add_argument(
            "--merge", type=int, nargs="+", default=[], help=gettext_lazy("the ids of the records merged into it")
        )
        parser.add_argument("--all", action="store_true", help=gettext_lazy("merge every group listed into its first record"))
        parser.add_argument("--json", action="store_true", help=gettext_lazy("the groups (or merges) as JSON lines"))

    def handle(self, *args: Any, **options: Any) -> None:
        kind = KINDS[options["kind"]]
        if options["all"] and (options["keep"] or options["merge"]):
            raise CommandError(_("--all merges every group as listed; do not give --keep or --merge with it"))
        if bool(options["keep"]) != bool(options["merge"]):
            raise CommandError(_("give both --keep ID and --merge ID [ID ...]"))
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
            self.stdout.write(_("no duplicate accounts") if kind == "account" else _("no duplicate reps"))
            return
        for g in groups:
            self.stdout.write(_("%(name)s  (%(n)s records)") % {"name": g.keep.name, "n": len(g.records)})
            for i, r in enumerate(g.records):
                mark = _("keep") if i == 0 else _("merge")
                deals = _("(%(n)s deals)") % {"n": f"{r.deals:,}"}
                self.stdout.write(f"  {pad(mark, 5)} id {r.pk:<8} {pad(r.external_id, 20)} {r.name}  {deals}")
            others = " ".join(str(r.pk) for r in g.records[1:])
            self.stdout.write(f"  kokyaku duplicates {options['kind']} --keep {g.keep.pk} --merge {others}")
        self.stdout.write(_("%(n)s groups; nothing merged until you run a merge (or --all)") % {"n": f"{len(groups):,}"})

    def _report(self, results: list[MergeResult], as_json: bool) -> None:
        for r in results:
            a = r.audit
            if as_json:
                line = {"kept": a.kept_id, "name": a.kept_name, "merged": [m["id"] for m in a.merged], "moved": r.moved}
                self.stdout.write(json.dumps({**line, "dropped": r.dropped, "aliases": r.aliases}, ensure_ascii=False))
                continue
            names = " / ".join(str(m["name"]) for m in a.merged)
            moved = ", ".join(f"{label} {n:,}" for label, n in r.moved.items()) or _("nothing")
            self.stdout.write(
                _("merged %(names)s into %(kept)s (id %(id)s): moved %(moved)s")
                % {"names": names, "kept": a.kept_name, "id": a.kept_id, "moved": moved}
            )
            if r.aliases:
                self.stdout.write(
                    _("  external ids that now name it (a later import lands on it): %(ids)s") % {"ids": ", ".join(r.aliases)}
                )
            if r.dropped:
                dropped = ", ".join(f"{label} {n:,}" for label, n in r.dropped.items())
                self.stdout.write(_("  dropped (the kept record has its own): %(dropped)s") % {"dropped": dropped})
        if not results:
            self.stdout.write(_("nothing to merge"))
