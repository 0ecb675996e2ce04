"""Writes for users: roles, logins and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kokyaku.users.models import ApiToken
from kokyaku.users.roles import Role, role_permissions

# A token's last_used_at is written at most once per this interval: a script calling the API in a loop
# would otherwise turn every read into a write (row lock, WAL traffic, SQLite's single writer).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class UserError(Exception):
    """A user-facing problem with a user operation."""


def roles_ensure() -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    wanted = {role: role_permissions(role) for role in Role}
    all_codes = {code for codes in wanted.values() for code in codes}
    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(codename__in={c.split(".")[1] for c in all_codes})
    }
    for role, codes in wanted.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set([perms[c] for c in codes if c in perms])


@transaction.atomic
def user_create(*, username: str, password: str, role: Role, email: str = "") -> User:
    """Create a login with a role (a login linked to a rep: ``kokyaku.crm.services.login_create``)."""
    if User.objects.filter(username=username).exists():
        raise UserError(f"user {username!r} already exists")
    roles_ensure()
    user = User.objects.create_user(username=username, password=password, email=email)
    user.is_staff = role is Role.ADMIN
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=role.value))
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for a user; return it with the plain token, which is never stored."""
    prefix = secrets.token_hex(4)
    plain = f"kky_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash(plain))
    return token, plain


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of the user's own tokens; return False if the user has no token with that id.

    Another user's token id is treated exactly like a missing one, so ids reveal nothing.
    """
    deleted, _ = ApiToken.objects.filter(pk=token_id, user=user).delete()
    return deleted > 0


def api_token_authenticate(plain: str) -> User | None:
    """Return the active user a plain token belongs to, or None; records when it was last used.

    last_used_at is accurate to LAST_USED_RESOLUTION: within that interval of the recorded use no write
    happens, and the conditional UPDATE lets only one of several concurrent requests write.
    """
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(plain)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale_before = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at <= stale_before:
        ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before), pk=token.pk).update(
            last_used_at=now
        )
    return token.user
