"""The base class of every `kokyaku` sub-command, and the language it speaks.

Django adds options to every management command that a Kokyaku user never needs (--settings,
--pythonpath, --traceback, colour switches, --skip-checks, --version). They still work, but
`kokyaku COMMAND --help` lists only the command's own options and -v.

A Kokyaku command speaks the terminal's language (:func:`terminal_language`): its help, its output
and its errors are Japanese on a ``LANG=ja_JP.UTF-8`` terminal, English otherwise. Django's own
commands (migrate, collectstatic) stay as Django writes them. Machine-readable output (--json,
CSV) is never translated.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.translation import gettext_lazy as _lazy

# The commands' help texts: lazy, so that each is read in the language active when argparse prints it.
# Typed as str because BaseCommand.help and argparse's help= are (a lazy string formats as one).
gettext_lazy = cast("Callable[[str], str]", _lazy)

LANGUAGE_VARIABLES = ("KOKYAKU_LANGUAGE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def terminal_language(environ: Mapping[str, str]) -> str:
    """The language of the terminal's locale: ja or en.

    The first of KOKYAKU_LANGUAGE, LANGUAGE, LC_ALL, LC_MESSAGES, LANG that is set (and not the C
    locale) decides, as gettext reads them; ``ja``, ``ja_JP.UTF-8``... are Japanese, anything else English.
    """
    for name in LANGUAGE_VARIABLES:
        value = environ.get(name, "")
        if value and value not in {"C", "POSIX", "C.UTF-8"}:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


@contextlib.contextmanager
def command_language(command: BaseCommand) -> Iterator[None]:
    """The terminal's language around a Kokyaku command (parsing, help, run); Django's own commands as they are."""
    if not isinstance(command, KokyakuCommand):
        yield
        return
    with translation.override(terminal_language(os.environ)):
        yield


# Django's base options keep their English help unless the command translates it here.
_BASE_HELP = {
    "-v": gettext_lazy("Verbosity level; 0=minimal output, 1=normal output, 2=verbose output, 3=very verbose output"),
    "--skip-checks": gettext_lazy("Skip system checks."),
}


def _translate_argparse(parser: argparse.ArgumentParser) -> None:
    """argparse's own words (section titles, -h) in the active language, in sub-commands too."""
    parser._positionals.title = gettext_lazy("positional arguments")
    parser._optionals.title = gettext_lazy("options")
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = gettext_lazy("show this help message and exit")
        elif action.option_strings and action.option_strings[0] in _BASE_HELP and action.help != argparse.SUPPRESS:
            action.help = _BASE_HELP[action.option_strings[0]]  # --skip-checks: Django adds it without add_base_argument
        elif isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _translate_argparse(sub)


class KokyakuCommand(BaseCommand):
    """A management command in the terminal's language whose --help shows only what a Kokyaku user needs."""

    suppressed_base_arguments = {"--settings", "--pythonpath", "--traceback", "--no-color", "--force-color", "--version"}

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = None if not self.help else str(self.help)  # argparse reflows it: a str, not a lazy one
        _translate_argparse(parser)
        return parser

    def add_base_argument(self, parser: CommandParser, *args: Any, **kwargs: Any) -> None:
        if args and args[0] in _BASE_HELP:
            kwargs["help"] = _BASE_HELP[args[0]]
        super().add_base_argument(parser, *args, **kwargs)

    def run_from_argv(self, argv: list[str]) -> None:
        with command_language(self):  # manage.py: the same language as `kokyaku`
            super().run_from_argv(argv)

    def print_help(self, prog_name: str, subcommand: str) -> None:
        with command_language(self):
            super().print_help(prog_name, subcommand)

    def execute(self, *args: Any, **options: Any) -> str | None:
        with command_language(self):  # `kokyaku`, manage.py and call_command alike
            return super().execute(*args, **options)


BACKGROUND_HELP = gettext_lazy(
    "queue it as a background job (`kokyaku jobs`): a Celery worker runs it when KOKYAKU_BROKER_URL is set"
)


# the stages a service reports to its progress callback, as `snapshot` and `train` print them on stderr
_STAGES = {
    "loaded": gettext_lazy("loaded"),
    "computed": gettext_lazy("computed"),
    "evaluated": gettext_lazy("evaluated"),
    "trained": gettext_lazy("trained"),
    "written": gettext_lazy("written"),
}


def stage_text(stage: str) -> str:
    """A progress stage's name in the active language; an unknown one as it is."""
    return str(_STAGES.get(stage, stage))


def term(code: str, label: object) -> str:
    """A stored code as a command prints it: the code itself in English (what scripts and the docs quote), the
    web's label for it in any other language (``at_risk`` -> 休眠間近)."""
    return code if (translation.get_language() or "en").startswith("en") else str(label)


def run_in_background(command: BaseCommand, job_kind: str, /, **params: object) -> None:
    """``--background``: hand the work to the job layer (the jobs app's `kokyaku jobs start`), by command name."""
    from django.core.management import call_command

    args = [f"--param={key}={value}" for key, value in params.items() if value not in (None, False, "")]
    call_command("jobs", "start", job_kind, *args, stdout=command.stdout._out, stderr=command.stderr._out)
