"""The base class of every `kokyaku` sub-command.

Django adds options to every management command that a Kokyaku user never needs (--settings,
--pythonpath, --traceback, colour switches, --skip-checks, --version). They still work, but
`kokyaku COMMAND --help` lists only the command's own options and -v.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand


class KokyakuCommand(BaseCommand):
    """A management command whose --help shows only what a Kokyaku user needs."""

    suppressed_base_arguments = {"--settings", "--pythonpath", "--traceback", "--no-color", "--force-color", "--version"}


BACKGROUND_HELP = "queue it as a background job (`kokyaku jobs`): a Celery worker runs it when KOKYAKU_BROKER_URL is set"


def run_in_background(command: BaseCommand, job_kind: str, /, **params: object) -> None:
    """``--background``: hand the work to the job layer (the jobs app's `kokyaku jobs start`), by command name."""
    from django.core.management import call_command

    args = [f"--param={key}={value}" for key, value in params.items() if value not in (None, False, "")]
    call_command("jobs", "start", job_kind, *args, stdout=command.stdout._out, stderr=command.stderr._out)
