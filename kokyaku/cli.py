"""`kokyaku`: the command line users run. Each sub-command is a Django management command.

Errors are printed as one clear line on stderr with a non-zero exit, never as a traceback
(set KOKYAKU_TRACEBACK=1 to see one).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand


def gettext_noop(message: str) -> str:
    """Mark a string for makemessages without loading Django's settings (`kokyaku --help` must print without them)."""
    return message


# Sub-commands that work on an un-migrated database.
_NO_DB_NEEDED = {"migrate", "help", "--help", "-h", "makemigrations", "check", "collectstatic", "compilemessages", "--version"}
_NO_DB_NEEDED.add("restore")  # a backup restores into a new, empty database too

USAGE = gettext_noop("""usage: kokyaku COMMAND [options]

commands:
  migrate                         create or update the database
  createuser USERNAME --role R    add a login (R: rep, manager, admin)
  token USERNAME                  create an API token
  serve [--host H] [--port P]     serve the web app
  demo [--accounts N] [--seed S]  fill an empty database with a demo portfolio
  import KIND FILE ...            import a CRM export (accounts, deals, activities, reps, purchases, contacts)
  imports [--limit N] [--json]    the import history: recent imports, imported or refused
  import-source                   import the new files of KOKYAKU_IMPORT_SOURCE (a folder or a URL): the nightly cron line
  duplicates accounts|reps [--keep ID --merge ID ...|--all]
                                  one name written several ways: list for review, then merge
  train [--as-of DATE]            fit, evaluate and store the probability models
  evaluate [--json PATH]          the models' metrics against every baseline
  backtest --as-of DATE           past zones against what accounts bought afterwards
  company [--currency C] ...      show or change the company settings: currency, fiscal year, dormancy period,
                                  conversion rates (--rate USD=151.3, --clear-rate USD)
  snapshot [--as-of DATE]         compute and store the portfolio (and move the follow-up queue)
  followups [--rep NAME] [--json] the open follow-ups of dormant and at-risk accounts
  export portfolio ...            write the portfolio as CSV or XLSX
  retention [--as-of DATE] [--json PATH]
                                  customer retention: classic curve, measured, forecast
  assign plan [--json PATH]       compute an assignment plan under the current policy (nothing moves)
  assign apply PLAN_ID            apply a plan: move the owners, with an audit trail and hand-overs
  buyer-types suggest [--json P]  suggest buyer types from behaviour; agreement with the recorded types
  jobs list|start|cancel|retry    background jobs: running, recent, failed with the reason
  backup PATH [--force]           write the whole database to one file (pg_dump / the SQLite backup API)
  restore PATH [--force]          replace the whole database with a backup, all or nothing

`kokyaku COMMAND --help` describes a command's options.
Environment: DATABASE_URL (default SQLite under KOKYAKU_DATA_DIR=./var), SECRET_KEY, DEBUG.
`serve` runs with DEBUG off unless DEBUG=1 is set, so it needs SECRET_KEY; the other commands default
to DEBUG=1 (a developer's machine). Production settings: docs/security.md.
Language: Kokyaku's commands speak the terminal's (LANG=ja_JP.UTF-8: Japanese); KOKYAKU_LANGUAGE=en or ja overrides it.
""")


def _fail(message: str, code: int = 1) -> int:
    print(f"kokyaku: error: {message}", file=sys.stderr)
    return code


def _usage() -> str:
    """USAGE in the terminal's language (English when the settings cannot load: it must always print)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    os.environ.setdefault("DEBUG", "1")
    try:
        import django

        django.setup()
    except Exception:
        return USAGE
    from django.utils import translation
    from django.utils.translation import gettext

    from kokyaku.lib.commands import terminal_language

    with translation.override(terminal_language(os.environ)):
        return gettext(USAGE)


def _pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if args[0] == "--version":
        from kokyaku import __version__

        print(f"kokyaku {__version__}")
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
    # Local use: an unset DEBUG means a developer's machine, so no SECRET_KEY is needed. Not for `serve`: that is
    # production, DEBUG off unless asked (`make run` asks), and a missing SECRET_KEY stops it with one line.
    if args[0] != "serve":
        os.environ.setdefault("DEBUG", "1")
    elif {"-h", "--help"} & set(args[1:]):
        os.environ["DEBUG"] = "1"  # it only prints the options: readable before any SECRET_KEY exists
    show_traceback = os.environ.get("KOKYAKU_TRACEBACK") == "1"
    try:
        import django
        from django.core.exceptions import ImproperlyConfigured

        try:
            django.setup()
        except ImproperlyConfigured as exc:
            return _fail(f"configuration: {exc}")

        from django.core.management import get_commands, load_command_class
        from django.utils import translation
        from django.utils.translation import gettext

        from kokyaku.lib.commands import command_language, terminal_language

        command = {"import": "import_data", "buyer-types": "buyer_types", "import-source": "import_source"}.get(args[0], args[0])
        commands = get_commands()
        if command not in commands:
            with translation.override(terminal_language(os.environ)):
                message = gettext("unknown command %(name)s; run `kokyaku --help` for the list") % {"name": repr(args[0])}
            return _fail(message, 2)
        cmd = load_command_class(commands[command], command)
        with command_language(cmd):  # a Kokyaku command speaks the terminal's language, from --help to its errors
            return _run(cmd, command, args, show_traceback=show_traceback)
    except BrokenPipeError:
        # the reader went away (`kokyaku followups | head`): stop quietly as Unix tools do, no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush would fail again
        return 141  # 128 + SIGPIPE, what the shell reports for a tool stopped the same way
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else _fail(str(exc.code)))


def _run(cmd: BaseCommand, command: str, args: list[str], *, show_traceback: bool) -> int:
    """Parse the options and run the command: 0, or one line on stderr and the exit status."""
    from django.core.management.base import CommandError
    from django.db import DatabaseError
    from django.utils.translation import gettext

    cmd._called_from_command_line = True  # type: ignore[attr-defined]  # argparse errors print usage and exit 2
    parser = cmd.create_parser("kokyaku", args[0])
    options = vars(parser.parse_args(args[1:]))
    positional = options.pop("args", ())
    try:
        if command not in _NO_DB_NEEDED and _pending_migrations():
            return _fail(gettext("the database is not migrated (or is out of date): run `kokyaku migrate` first"))
    except DatabaseError as exc:
        return _fail((gettext("cannot reach the database: %(error)s") % {"error": exc}).strip())
    try:
        cmd.execute(*positional, **options)
    except CommandError as exc:
        if show_traceback:
            raise
        return _fail(str(exc), exc.returncode)
    except DatabaseError as exc:
        if show_traceback:
            raise
        return _fail((gettext("database error: %(error)s") % {"error": exc}).strip())
    except KeyboardInterrupt:
        return _fail(gettext("interrupted; nothing was half-written (every job runs in one transaction)"), 130)
    return 0


if __name__ == "__main__":
    sys.exit(main())
