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

from kokyaku.jobs import selectors, services
from kokyaku.jobs.registry import KINDS
from kokyaku.lib.commands import KokyakuCommand


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CommandError(f"--param: {text!r} is not KEY=VALUE")
    return key, {"true": True, "false": False}.get(value, value)


class Command(KokyakuCommand):
    help = "Background jobs: list | start KIND [--param K=V ...] [--wait] | cancel ID | retry ID | reap."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="queued, running and recent jobs")
        start = sub.add_parser("start", help="queue a job")
        start.add_argument("kind", choices=sorted(KINDS))
        start.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="e.g. as_of=2026-03-31")
        start.add_argument("--wait", action="store_true", help="follow its progress until it ends (always so without a broker)")
        for name in ("cancel", "retry"):
            sub.add_parser(name).add_argument("job_id", type=int)
        sub.add_parser("reap", help="fail running jobs whose worker has stopped")

    def handle(self, *args: Any, **options: Any) -> None:
        self.loud = int(options.get("verbosity", 1)) >= 1
        try:
            getattr(self, f"_{options['action']}")(options)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None

    def _list(self, options: dict[str, Any]) -> None:
        lists = selectors.job_lists(limit=20)
        if not [*lists.running, *lists.recent]:
            self.stdout.write("no jobs yet")
        for job in [*lists.running, *lists.recent]:
            took = f"{job.seconds:.1f} s" if job.seconds is not None else ""
            self.stdout.write(f"{job.id:>6}  {job.kind:<10} {job.state:<9} {job.progress:>3}%  {took:>9}  {job.error}")

    def _start(self, options: dict[str, Any]) -> None:
        params = dict(_param(p) for p in options["param"])
        if "path" in params:
            params["path"] = str(Path(params["path"]).resolve())  # the worker reads it, from wherever it runs
        job = services.job_enqueue(actor=None, kind=options["kind"], params=params)
        self.stdout.write(f"job {job.pk} queued ({job.kind}, {job.engine})")
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
            raise CommandError(f"job {job.id} {job.state}: {job.error}")
        self.stdout.write(f"job {job.id} done: {json.dumps(job.result)}")

    def _cancel(self, options: dict[str, Any]) -> None:
        self._exists(options["job_id"])
        job = services.job_cancel(actor=None, job_id=options["job_id"])
        self.stdout.write(f"job {job.pk}: {job.state}{' (stops at its next step)' if job.state == 'running' else ''}")

    def _retry(self, options: dict[str, Any]) -> None:
        self._exists(options["job_id"])
        job = services.job_retry(actor=None, job_id=options["job_id"])
        self.stdout.write(f"job {job.pk} queued (retry of {options['job_id']})")
        if job.engine == "thread":
            self._follow(job.pk)

    @staticmethod
    def _exists(job_id: int) -> None:
        if selectors.job_get(job_id) is None:
            raise CommandError(f"there is no job {job_id}")

    def _reap(self, options: dict[str, Any]) -> None:
        dead = services.job_reap()
        self.stdout.write(f"{len(dead)} job(s) failed: their worker stopped" if dead else "no lost job")
