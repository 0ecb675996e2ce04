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
from django.utils.translation import gettext as _

from kokyaku.imports.sources import shown_source
from kokyaku.jobs.models import Job
from kokyaku.jobs.services import JobBusy, job_enqueue, job_run
from kokyaku.lib.commands import BACKGROUND_HELP, KokyakuCommand, gettext_lazy


class Command(KokyakuCommand):
    requires_system_checks: list[str] = []
    help = gettext_lazy(
        "Import the new files of KOKYAKU_IMPORT_SOURCE (a folder, or an http(s) URL), each as an import job; "
        "files imported before (same name, size and content) are passed over. For cron: "
        "30 1 * * * kokyaku import-source"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--background", action="store_true", help=BACKGROUND_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.IMPORT_SOURCE:
            raise CommandError(_("KOKYAKU_IMPORT_SOURCE is not set: give it a folder or an http(s) URL (docs/jobs.md)"))
        try:
            if options["background"] and settings.BROKER_URL:
                job = job_enqueue(actor=None, kind="import_source")
                self.stdout.write(
                    _("job %(id)s queued (%(kind)s, %(engine)s)") % {"id": job.pk, "kind": "import_source", "engine": job.engine}
                )
                return
            job = job_run(actor=None, kind="import_source")
        except JobBusy as exc:
            raise CommandError(exc.message) from None
        result = job.result or {}
        for file in result.get("files", []):
            where = _("job %(id)s") % {"id": file["job"]} if file.get("job") else _("not started")
            error = f": {file['error']}" if file.get("error") else ""
            self.stdout.write(f"  {file['name']}: {_state(file['state'])} ({where}){error}")
        if job.state != "done":
            raise CommandError(
                _("job %(id)s %(state)s: %(error)s") % {"id": job.pk, "state": _state(job.state), "error": job.error}
            )
        self.stdout.write(
            _(
                "job %(id)s done: %(imported)s new file(s) imported from %(source)s, %(unchanged)s already imported, "
                "%(waiting)s still being written"
            )
            % {
                "id": job.pk,
                "imported": result.get("imported", 0),
                "source": shown_source(settings.IMPORT_SOURCE),
                "unchanged": result.get("unchanged", 0),
                "waiting": result.get("waiting", 0),
            }
        )


def _state(state: str) -> str:
    """A job's or a file's state in the reader's language (the jobs page's words); an unknown one as it is."""
    return str(Job.State(state).label) if state in Job.State.values else state
