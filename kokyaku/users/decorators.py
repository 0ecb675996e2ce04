"""View decorators for the roles: who gets into a page at all (what they may write is :mod:`kokyaku.crm.permissions`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kokyaku.users.roles import is_manager

View = Callable[..., HttpResponse]


def manager_required(view: View) -> View:
    """Let managers and admins in; anyone else logged in gets 403, anonymous users the login page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_manager(request.user):
            raise PermissionDenied(_("Only managers can do this."))
        return view(request, *args, **kwargs)

    return wrapper
