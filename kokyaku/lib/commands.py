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
