"""`kokyaku createuser`: a login with a role, optionally linked to a rep (so in crm, which owns that link)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.crm.models import Rep
from kokyaku.crm.services import login_create
from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.users.roles import Role
from kokyaku.users.services import UserError


class Command(KokyakuCommand):
    help = gettext_lazy("Add a login with a role. The password comes from --password, $KOKYAKU_PASSWORD or a prompt.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=gettext_lazy("the login name"))
        parser.add_argument("--role", required=True, choices=[r.value for r in Role], help=gettext_lazy("rep, manager or admin"))
        parser.add_argument("--email", default="", help=gettext_lazy("the e-mail address (optional)"))
        parser.add_argument("--password", default=None, help=gettext_lazy("prefer $KOKYAKU_PASSWORD: arguments show in `ps`"))
        parser.add_argument(
            "--rep",
            default=None,
            help=gettext_lazy("link the login to this rep: its id in your CRM (as imported), its name, or Kokyaku's rep number"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("KOKYAKU_PASSWORD")
        if not password:
            if not self.stdin_is_tty():
                raise CommandError(_("no password: pass --password or set KOKYAKU_PASSWORD"))
            password = getpass.getpass(_("Password: "))
        try:  # settings.AUTH_PASSWORD_VALIDATORS: length, common passwords, likeness to the username or e-mail
            validate_password(password, User(username=options["username"], email=options["email"]))
        except ValidationError as exc:
            raise CommandError(_("the password is refused: %(reasons)s") % {"reasons": " ".join(exc.messages)}) from None
        try:
            user = login_create(
                actor=None,  # the command line: whoever can run it administers the installation
                username=options["username"],
                password=password,
                role=Role(options["role"]),
                email=options["email"],
                rep_id=None if options["rep"] is None else self.rep_id(options["rep"]),
            )
        except UserError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("created %(username)s (%(role)s)") % {"username": user.username, "role": options["role"]})

    @staticmethod
    def rep_id(given: str) -> int:
        """The rep ``--rep`` names: Kokyaku's number (digits, as before), else the external id, else the exact name."""
        given = given.strip()
        if given.isdigit() and Rep.objects.filter(pk=int(given)).exists():
            return int(given)
        found = list(Rep.objects.filter(external_id=given).values_list("pk", flat=True)[:2])
        if not found:
            found = list(Rep.objects.filter(name=given).values_list("pk", flat=True)[:2])
        if len(found) > 1:
            raise CommandError(_("several reps are named '%(name)s': give the rep's id in your CRM instead") % {"name": given})
        if not found:
            raise CommandError(
                _("no rep with the id or name '%(name)s' (import your reps first: kokyaku import reps)") % {"name": given}
            )
        return found[0]

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
