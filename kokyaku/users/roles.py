"""The three roles and the permissions each holds. Which write needs which is :mod:`kokyaku.crm.permissions`."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import User

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# The permission that makes a login a manager: criteria, snapshots, targets, and any rep's records.
MANAGE_PORTFOLIO = "users.manage_portfolio"


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


# Each role's permissions as "app_label.codename"; a role has its own and those of the roles before it.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.REP: [
        "crm.view_account",
        "crm.view_deal",
        "crm.view_activity",
        "crm.view_rep",
        "crm.view_team",
        "crm.view_target",
        "crm.add_activity",
        "crm.change_activity",
        "crm.change_account",
        "crm.add_deal",
        "crm.change_deal",
    ],
    Role.MANAGER: [
        MANAGE_PORTFOLIO,
        "users.import_data",
        "crm.add_target",
        "crm.change_target",
        "crm.delete_target",
        "crm.change_companysettings",
        "crm.view_companysettings",
        "crm.add_account",
        "crm.change_rep",
        "crm.add_lostreason",
        "crm.change_lostreason",
    ],
    Role.ADMIN: [
        "users.manage_users",
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "crm.add_team",
        "crm.change_team",
        "crm.add_rep",
        "axes.view_accessattempt",  # the login lockouts in Django admin; deleting one lifts it (issue 15)
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
    ],
}


def role_permissions(role: Role) -> list[str]:
    """Return every permission a role holds, including those of the roles below it."""
    order = list(Role)
    perms: list[str] = []
    for r in order[: order.index(role) + 1]:
        perms.extend(ROLE_PERMISSIONS[r])
    return perms


def user_role(user: User | AbstractBaseUser | AnonymousUser) -> Role | None:
    """Return the highest role a user holds, or None for anonymous users and users without one."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    if not isinstance(user, User):
        return None
    names = {g.name for g in user.groups.all()}
    for role in reversed(list(Role)):
        if role.value in names:
            return role
    return None


def is_manager(user: User | AbstractBaseUser | AnonymousUser) -> bool:
    """Return True for managers and admins."""
    return isinstance(user, User) and user.is_active and user.has_perm(MANAGE_PORTFOLIO)
