"""`kokyaku restore PATH`: replace the whole database with a backup made by `kokyaku backup`, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from kokyaku.lib.backup import BackupError, restore
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy


class Command(KokyakuCommand):
    help = gettext_lazy("Replace the whole database with the backup at PATH (stop the web app and workers first).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help=gettext_lazy("the backup file"))
        parser.add_argument("--force", action="store_true", help=gettext_lazy("replace a database that already holds accounts"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(restore(options["path"], force=options["force"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
