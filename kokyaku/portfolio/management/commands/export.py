"""`kokyaku export portfolio [--snapshot ID|latest] --format csv|xlsx -o PATH [--encoding ...] [--lang ja|en]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.portfolio.export import ExportError, accounts_export, write_file
from kokyaku.portfolio.selectors import snapshot_get


class Command(KokyakuCommand):
    help = gettext_lazy(
        "Write a portfolio snapshot as CSV (UTF-8 with BOM by default, or cp932) or XLSX (one sheet of accounts with "
        "the rep as a column, then the matrix, the zones and the per-rep breakdown)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["portfolio"], help=gettext_lazy("what to export (only: portfolio)"))
        parser.add_argument("--snapshot", default="latest", help=gettext_lazy("snapshot id, or 'latest' (default)"))
        parser.add_argument(
            "--format", dest="fmt", choices=["csv", "xlsx"], default=None, help=gettext_lazy("default: from the file name")
        )
        parser.add_argument("-o", "--output", required=True, help=gettext_lazy("file to write"))
        parser.add_argument(
            "--encoding", choices=["utf-8-sig", "utf-8", "cp932"], default="utf-8-sig", help=gettext_lazy("CSV only")
        )
        languages = [code for code, _name in settings.LANGUAGES]
        parser.add_argument(
            "--lang",
            choices=languages,
            default=None,
            help=gettext_lazy("headers and codes in this language (default: %(code)s)") % {"code": settings.LANGUAGE_CODE},
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ref = str(options["snapshot"])
        if ref != "latest" and not ref.isdigit():
            raise CommandError(_("--snapshot: expected an id or 'latest', got %(value)s") % {"value": repr(ref)})
        snapshot = snapshot_get(ref)
        if snapshot is None:
            raise CommandError(
                _("there is no snapshot yet: run `kokyaku snapshot` first")
                if ref == "latest"
                else _("--snapshot: there is no snapshot %(id)s") % {"id": ref}
            )
        path = Path(options["output"])
        fmt = options["fmt"] or path.suffix.lstrip(".").lower()
        if fmt not in ("csv", "xlsx"):
            raise CommandError(_("--format: say csv or xlsx (cannot tell from %(name)s)") % {"name": repr(path.name)})
        if not path.parent.exists():
            raise CommandError(_("-o: the folder %(folder)s does not exist") % {"folder": repr(str(path.parent))})
        try:
            with translation.override(options["lang"] or settings.LANGUAGE_CODE):
                count = write_file(accounts_export(snapshot), path, fmt=fmt, encoding=options["encoding"])
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(_("cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}) from None
        self.stdout.write(
            _("wrote %(n)s accounts of snapshot %(id)s (%(as_of)s) to %(path)s")
            % {"n": f"{count:,}", "id": snapshot.pk, "as_of": snapshot.as_of, "path": path}
        )
