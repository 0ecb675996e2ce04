"""Reads for users: a login's API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User

from kokyaku.users.models import ApiToken


def api_token_list(*, user: User) -> list[ApiToken]:
    """Return a login's own API tokens, newest first."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
