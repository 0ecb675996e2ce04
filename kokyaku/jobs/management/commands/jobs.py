"""`kokyaku jobs`: list, start, cancel, retry background jobs; fail the ones whose worker died (docs/jobs.md).

`kokyaku jobs start snapshot` queues a job: with KOKYAKU_BROKER_URL a Celery worker runs it and the
command returns at once (`--wait` follows it); without a broker this process runs it, with the same
lock, states and record. `kokyaku snapshot --background` (and train, import) come here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.jobs import selectors, services
from kokyaku.jobs.models import Job
from kokyaku.jobs.registry import KINDS
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.lib.tabular import pad


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CommandError(_("--param: %(value)s is not KEY=VALUE") % {"value": repr(text)})
    return key, {"true": True, "false": False}.get(value, value)


class Command(KokyakuCommand):
    help = gettext_lazy("Background jobs: list | start KIND [--param K=V ...] [--wait] | cancel ID | retry ID | reap.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help=gettext_lazy("queued, running and recent jobs"))
        start = sub.add_parser("start", help=gettext_lazy("queue a job"))
        start.add_argument("kind", choices=sorted(KINDS), help=gettext_lazy("what the job does"))
        start.add_argument(
            "--param", action="append", default=[], metavar="KEY=VALUE", help=gettext_lazy("e.g. as_of=2026-03-31")
        )
        start.add_argument(
            "--wait", action="store_true", help=gettext_lazy("follow its progress until it ends (always so without a broker)")
        )
        sub.add_parser("cancel", help=gettext_lazy("cancel a queued or running job")).add_argument(
            "job_id", type=int, help=gettext_lazy("the job's number, as `kokyaku jobs list` shows it")
        )
        sub.add_parser("retry", help=gettext_lazy("queue a failed or cancelled job again")).add_argument(
            "job_id", type=int, help=gettext_lazy("the job's number, as `kokyaku jobs list` shows it")
        )
        sub.add_parser("reap", help=gettext_lazy("fail running jobs whose worker has stopped"))

    def handle(self, *args: Any, **options: Any) -> None:
        self.loud = int(options.get("verbosity", 1)) >= 1
        try:
            getattr(self, f"_{options['action']}")(options)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None

    def _list(self, options: dict[str, Any]) -> None:
        lists = selectors.job_lists(limit=20)
        if not [*lists.running, *lists.recent]:
            self.stdout.write(_("no jobs yet"))
        for job in [*lists.running, *lists.recent]:
            took = f"{job.seconds:.1f} s" if job.seconds is not None else ""
            self.stdout.write(
                f"{job.id:>6}  {job.kind:<10} {pad(_state(job.state), 9)} {job.progress:>3}%  {took:>9}  {job.error}"
            )

    def _start(self, options: dict[str, Any]) -> None:
        params = dict(_param(p) for p in options["param"])
        if "path" in params:
            params["path"] = str(Path(params["path"]).resolve())  # the worker reads it, from wherever it runs
        job = services.job_enqueue(actor=None, kind=options["kind"], params=params)
        self.stdout.write(_("job %(id)s queued (%(kind)s, %(engine)s)") % {"id": job.pk, "kind": job.kind, "engine": job.engine})
        if job.engine == "thread" or options["wait"]:
            self._follow(job.pk)

    def _follow(self, job_id: int) -> None:
        last = None
        while True:
            job = selectors.job_get(job_id)
            assert job is not None
            if (job.progress, job.step) != last and self.loud:
                self.stderr.write(f"  {job.progress:>3}%  {job.step}")
                last = (job.progress, job.step)
            if not job.active:
                break
            time.sleep(0.5)
        if job.state != "done":
            raise CommandError(
                _("job %(id)s %(state)s: %(error)s") % {"id": job.id, "state": _state(job.state), "error": job.error}
            )
        self.stdout.write(_("job %(id)s done: %(result)s") % {"id": job.id, "result": json.dumps(job.result)})

    def _cancel(self, options: dict[str, Any]) -> None:
        self._exists(options["job_id"])
        job = services.job_cancel(actor=None, job_id=options["job_id"])
        if job.state == "running":
            self.stdout.write(_("job %(id)s: %(state)s (stops at its next step)") % {"id": job.pk, "state": _state(job.state)})
        else:
            self.stdout.write(_("job %(id)s: %(state)s") % {"id": job.pk, "state": _state(job.state)})

    def _retry(self, options: dict[str, Any]) -> None:
        self._exists(options["job_id"])
        job = services.job_retry(actor=None, job_id=options["job_id"])
        self.stdout.write(_("job %(id)s queued (retry of %(retried)s)") % {"id": job.pk, "retried": options["job_id"]})
        if job.engine == "thread":
            self._follow(job.pk)

    @staticmethod
    def _exists(job_id: int) -> None:
        if selectors.job_get(job_id) is None:
            raise CommandError(_("there is no job %(id)s") % {"id": job_id})

    def _reap(self, options: dict[str, Any]) -> None:
        dead = services.job_reap()
        if dead:
            self.stdout.write(_("%(n)s job(s) failed: their worker stopped") % {"n": len(dead)})
        else:
            self.stdout.write(_("no lost job"))


def _state(state: str) -> str:
    """A job's state in the reader's language (the jobs page's words)."""
    return str(Job.State(state).label) if state in Job.State.values else state
