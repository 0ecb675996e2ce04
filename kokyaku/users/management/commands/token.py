from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from kokyaku.lib.commands import KokyakuCommand, gettext_lazy
from kokyaku.users.services import api_token_create


class Command(KokyakuCommand):
    help = gettext_lazy("Create an API token for a user and print it (it is shown only once).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=gettext_lazy("the login the token acts as"))
        parser.add_argument("--name", default="cli", help=gettext_lazy("a label to recognise the token by"))

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(_("no active user %(name)s") % {"name": repr(options["username"])})
        _token, plain = api_token_create(user=user, name=options["name"])
        self.stdout.write(plain)
