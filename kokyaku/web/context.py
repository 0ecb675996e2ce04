"""Template context shared by every page: who is logged in, in which role, and which nav section is active."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kokyaku.crm.permissions import rep_of
from kokyaku.users.roles import Role, is_manager, user_role

ROLE_LABELS: dict[Role, StrOrPromise] = {
    Role.REP: _("Rep"),
    Role.MANAGER: _("Manager"),
    Role.ADMIN: _("Administrator"),
}


def navigation(request: HttpRequest) -> dict[str, object]:
    """Return what the layout's navigation needs.

    ``nav_has_rep`` says whether the login is linked to a rep (so has a book of its own);
    ``nav_section`` is the URL namespace of the current page ("web", "portfolio", ...) so a nav
    link can mark itself active; ``nav_page`` is the URL name.
    """
    match = getattr(request, "resolver_match", None)
    section = match.namespace if match else ""
    page = match.url_name if match else ""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "nav_role": None,
            "nav_role_label": "",
            "nav_is_manager": False,
            "nav_is_admin": False,
            "nav_has_rep": False,
            "nav_display_name": "",
            "nav_section": section,
            "nav_page": page,
        }
    role = user_role(user)
    rep = rep_of(user)
    display_name = rep.name if rep is not None else (user.get_full_name() or user.get_username())
    return {
        "nav_role": role,
        "nav_role_label": ROLE_LABELS[role] if role else "",
        "nav_is_manager": is_manager(user),
        "nav_is_admin": bool(user.is_active and user.is_staff),
        "nav_has_rep": rep is not None,  # "My portfolio" only for logins that own accounts
        "nav_display_name": display_name,
        "nav_section": section,
        "nav_page": page,
    }
