from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandParser

from kokyaku.lib.commands import KokyakuCommand


class Command(KokyakuCommand):
    help = "Serve the web app with gunicorn (static files by WhiteNoise, no CDN needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Kokyaku on http://{options['host']}:{options['port']}/  (Ctrl-C stops)")
        sys.stdout.flush()
        argv = [
            sys.executable, "-m", "gunicorn", "kokyaku.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["workers"]),
            "--timeout", "120",
            "--access-logfile", "-" if settings.DEBUG else "/dev/null",
        ]  # fmt: skip
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server, no shell
