"""`kokyaku backup PATH`: the whole database to one file (pg_dump for PostgreSQL, the SQLite backup API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from kokyaku.lib.backup import BackupError, backup
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy


class Command(KokyakuCommand):
    help = gettext_lazy("Write the whole database to PATH (consistent while the app runs); `kokyaku restore PATH` puts it back.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help=gettext_lazy("the backup file"))
        parser.add_argument("--force", action="store_true", help=gettext_lazy("replace PATH when it exists"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(backup(options["path"], force=options["force"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
