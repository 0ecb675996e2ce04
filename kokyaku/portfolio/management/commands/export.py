"""`kokyaku export portfolio [--snapshot ID|latest] --format csv|xlsx -o PATH [--encoding ...] [--lang ja|en]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import translation

from kokyaku.lib.commands import KokyakuCommand
from kokyaku.portfolio.export import ExportError, accounts_export, write_file
from kokyaku.portfolio.selectors import snapshot_get


class Command(KokyakuCommand):
    help = (
        "Write a portfolio snapshot as CSV (UTF-8 with BOM by default, or cp932) or XLSX (one sheet of accounts with "
        "the rep as a column, then the matrix, the zones and the per-rep breakdown)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["portfolio"], help="what to export (only: portfolio)")
        parser.add_argument("--snapshot", default="latest", help="snapshot id, or 'latest' (default)")
        parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], default=None, help="default: from the file name")
        parser.add_argument("-o", "--output", required=True, help="file to write")
        parser.add_argument("--encoding", choices=["utf-8-sig", "utf-8", "cp932"], default="utf-8-sig", help="CSV only")
        languages = [code for code, _name in settings.LANGUAGES]
        parser.add_argument(
            "--lang",
            choices=languages,
            default=None,
            help=f"headers and codes in this language (default: {settings.LANGUAGE_CODE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ref = str(options["snapshot"])
        if ref != "latest" and not ref.isdigit():
            raise CommandError(f"--snapshot: expected an id or 'latest', got {ref!r}")
        snapshot = snapshot_get(ref)
        if snapshot is None:
            raise CommandError(
                "there is no snapshot yet: run `kokyaku snapshot` first"
                if ref == "latest"
                else f"--snapshot: there is no snapshot {ref}"
            )
        path = Path(options["output"])
        fmt = options["fmt"] or path.suffix.lstrip(".").lower()
        if fmt not in ("csv", "xlsx"):
            raise CommandError(f"--format: say csv or xlsx (cannot tell from {path.name!r})")
        if not path.parent.exists():
            raise CommandError(f"-o: the folder {str(path.parent)!r} does not exist")
        try:
            with translation.override(options["lang"] or settings.LANGUAGE_CODE):
                count = write_file(accounts_export(snapshot), path, fmt=fmt, encoding=options["encoding"])
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
        self.stdout.write(f"wrote {count:,} accounts of snapshot {snapshot.pk} ({snapshot.as_of}) to {path}")
