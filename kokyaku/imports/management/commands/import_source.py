"""`kokyaku import-source`: import the new files of KOKYAKU_IMPORT_SOURCE (a folder or an http(s) URL) now.

The cron line of a deployment without Celery (docs/jobs.md#the-scheduled-import); with Celery, beat
queues the same ``import_source`` job each night. It runs here, as a job of its own (in the jobs list),
and imports each new file as an ``import`` job with its line in the import history. Exits 1 when the
source cannot be read or a file was not imported, with the reason on one line.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from kokyaku.imports.sources import shown_source
from kokyaku.jobs.services import JobBusy, job_enqueue, job_run
from kokyaku.lib.commands import BACKGROUND_HELP, KokyakuCommand


class Command(KokyakuCommand):
    requires_system_checks: list[str] = []
    help = (
        "Import the new files of KOKYAKU_IMPORT_SOURCE (a folder, or an http(s) URL), each as an import job; "
        "files imported before (same name, size and content) are passed over. For cron: "
        "30 1 * * * kokyaku import-source"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--background", action="store_true", help=BACKGROUND_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.IMPORT_SOURCE:
            raise CommandError("KOKYAKU_IMPORT_SOURCE is not set: give it a folder or an http(s) URL (docs/jobs.md)")
        try:
            if options["background"] and settings.BROKER_URL:
                job = job_enqueue(actor=None, kind="import_source")
                self.stdout.write(f"job {job.pk} queued (import_source, {job.engine})")
                return
            job = job_run(actor=None, kind="import_source")
        except JobBusy as exc:
            raise CommandError(exc.message) from None
        result = job.result or {}
        for file in result.get("files", []):
            where = f"job {file['job']}" if file.get("job") else "not started"
            self.stdout.write(f"  {file['name']}: {file['state']} ({where}){': ' + file['error'] if file.get('error') else ''}")
        if job.state != "done":
            raise CommandError(f"job {job.pk} {job.state}: {job.error}")
        self.stdout.write(
            f"job {job.pk} done: {result.get('imported', 0)} new file(s) imported from {shown_source(settings.IMPORT_SOURCE)}, "
            f"{result.get('unchanged', 0)} already imported, {result.get('waiting', 0)} still being written"
        )
