from __future__ import annotations

import hashlib
import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from kokyaku.lib.commands import KokyakuCommand, gettext_lazy


class Command(KokyakuCommand):
    help = gettext_lazy("Serve the web app with gunicorn (static files by WhiteNoise, no CDN needed).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help=gettext_lazy("the address to listen on (default 127.0.0.1)"))
        parser.add_argument("--port", type=int, default=8000, help=gettext_lazy("the port (default 8000)"))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "3")),
            help=gettext_lazy("gunicorn worker processes (default $WEB_CONCURRENCY or 3)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        collect_static_if_changed()
        self.stdout.write(_("Kokyaku on %(url)s  (Ctrl-C stops)") % {"url": f"http://{options['host']}:{options['port']}/"})
        sys.stdout.flush()
        argv = [
            sys.executable, "-m", "gunicorn", "kokyaku.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["workers"]),
            "--timeout", "120",
            "--access-logfile", "-" if settings.DEBUG else "/dev/null",
        ]  # fmt: skip
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server, no shell


FINGERPRINT_FILE = ".kokyaku-collected"


def static_fingerprint() -> str:
    """A digest of every static source file's path, size and modification time, and of the storage.

    Reading it stats each file once (milliseconds); collectstatic hashes and compresses every file (the
    4.8 MB Plotly bundle with Brotli: tens of seconds), so `serve` runs it only when this changes.
    """
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def collect_static_if_changed() -> bool:
    """Run collectstatic unless the collected files came from these very sources; True when it ran."""
    root = settings.STATIC_ROOT
    marker = os.path.join(root, FINGERPRINT_FILE)
    current = static_fingerprint()
    manifest_needed = isinstance(staticfiles_storage, ManifestFilesMixin)  # production: {% static %} reads it
    manifest_there = os.path.exists(os.path.join(root, "staticfiles.json"))
    try:
        with open(marker, encoding="ascii") as handle:
            if handle.read().strip() == current and (manifest_there or not manifest_needed):
                return False
    except OSError:
        pass
    call_command("collectstatic", interactive=False, verbosity=0)
    with open(marker, "w", encoding="ascii") as handle:
        handle.write(current)
    return True
