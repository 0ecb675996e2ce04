"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from kokyaku.users.roles import is_manager, user_role


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_role": None, "nav_is_manager": False}
    return {"nav_role": user_role(user), "nav_is_manager": is_manager(user)}
