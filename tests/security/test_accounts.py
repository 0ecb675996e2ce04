"""Accounts and roles (issue 15, item 7): passwords that pass the validators, no way up to superuser, no
published demo logins in production."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from kokyaku.users.roles import Role
from kokyaku.users.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("username", "password", "why"),
    [
        ("mori", "short-pw-1", "at least 12 characters"),
        ("mori", "password1234", "too common"),
        ("takahashi-kenta", "takahashi-kenta1", "too similar to the username"),
        ("mori", "583920174655", "entirely numeric"),
    ],
)
def test_createuser_refuses_a_weak_password(username: str, password: str, why: str) -> None:
    with pytest.raises(CommandError, match=why):
        call_command("createuser", username, "--role", "rep", "--password", password)
    assert not User.objects.filter(username=username).exists()


def test_createuser_compares_the_password_with_the_email_too() -> None:
    with pytest.raises(CommandError, match="too similar to the email address"):
        call_command("createuser", "k1", "--role", "rep", "--email", "hanako.yamada@example.jp", "--password", "hanako.yamada")


def test_createuser_takes_a_strong_password() -> None:
    call_command("createuser", "mori", "--role", "manager", "--password", "quiet-harbour-47")
    assert User.objects.get(username="mori").check_password("quiet-harbour-47")


def _change_form(user: User, **extra: object) -> dict[str, object]:
    """Everything Django admin's user change form posts, as the page would send it back unchanged."""
    return {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **extra,
    }


def _admin_client(admin_user: User) -> Client:
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def test_the_admin_role_cannot_make_itself_superuser(admin_user: User) -> None:
    client = _admin_client(admin_user)
    everything = list(Permission.objects.values_list("pk", flat=True))
    page = client.get(f"/admin/auth/user/{admin_user.pk}/change/")
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content  # shown read-only, not as a box to tick
    response = client.post(
        f"/admin/auth/user/{admin_user.pk}/change/",
        _change_form(admin_user, is_superuser="on", user_permissions=everything),
    )
    assert response.status_code == 302  # saved: the other fields are its to change
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser
    assert not admin_user.user_permissions.exists()
    assert not admin_user.has_perm("auth.change_group")


def test_the_admin_role_cannot_make_another_login_superuser(admin_user: User) -> None:
    other = user_create(username="mori", password="quiet-harbour-47", role=Role.REP)
    client = _admin_client(admin_user)
    client.post(f"/admin/auth/user/{other.pk}/change/", _change_form(other, is_superuser="on"))
    other.refresh_from_db()
    assert not other.is_superuser


def test_the_admin_role_cannot_take_over_a_superuser(admin_user: User) -> None:
    root = User.objects.create_superuser("root", "root@example.jp", "root-password-long-1")
    client = _admin_client(admin_user)
    assert client.get(f"/admin/auth/user/{root.pk}/change/").status_code == 200  # may look
    assert client.post(f"/admin/auth/user/{root.pk}/password/", {"password1": "x" * 20, "password2": "x" * 20}).status_code == 403
    assert client.post(f"/admin/auth/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/auth/user/{root.pk}/change/", _change_form(root, is_active=""))
    root.refresh_from_db()
    assert root.is_active
    assert root.check_password("root-password-long-1")


def test_a_superuser_still_grants_superuser(admin_user: User) -> None:
    User.objects.create_superuser("root", "root@example.jp", "root-password-long-1")
    client = Client()
    assert client.login(username="root", password="root-password-long-1")
    client.post(f"/admin/auth/user/{admin_user.pk}/change/", _change_form(admin_user, is_superuser="on"))
    admin_user.refresh_from_db()
    assert admin_user.is_superuser


def _demo_logins() -> None:
    user_create(username="manager", password="kokyaku-demo", role=Role.MANAGER, email="manager@demo.example.jp")
    user_create(username="rep", password="kokyaku-demo", role=Role.REP, email="rep@demo.example.jp")


@override_settings(DEBUG=False)
def test_the_login_page_never_lists_demo_logins_with_debug_off() -> None:
    _demo_logins()
    html = Client().get("/login/").content.decode()
    assert 'data-testid="demo-logins"' not in html
    assert "kokyaku-demo" not in html
    assert "<code>manager</code>" not in html


@override_settings(DEBUG=True)
def test_the_login_page_lists_demo_logins_with_debug_on() -> None:
    _demo_logins()
    html = Client().get("/login/").content.decode()
    assert 'data-testid="demo-logins"' in html
    assert "kokyaku-demo" in html
