"""Login throttling (issue 15: 97 wrong passwords in 30 s were all answered normally)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


def _try(client: Client, username: str, password: str, address: str = "10.0.0.1") -> int:
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address).status_code


def test_wrong_passwords_lock_the_account_out_with_a_clear_page(strong_rep: object) -> None:
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    assert [_try(client, "tanaka", "wrong") for _ in range(limit - 1)] == [200] * (limit - 1)  # the form again, with its error
    locked = client.post(reverse("login"), {"username": "tanaka", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    assert b'data-testid="lockout"' in locked.content
    assert b"15 minutes" in locked.content
    # now even the right password is refused, from this address and from another one (by account)
    assert _try(client, "tanaka", PASSWORD) == 429
    assert _try(Client(), "tanaka", PASSWORD, address="10.0.0.2") == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_speaks_japanese(strong_rep: object) -> None:
    client = Client(headers={"accept-language": "ja"})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = client.post(reverse("login"), {"username": "tanaka", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    assert last.status_code == 429
    assert "ログインの失敗が多すぎます" in last.content.decode()
    assert "15 分間" in last.content.decode()


def test_one_address_trying_many_accounts_is_locked_out_by_address(strong_rep: object, developing_rep: object) -> None:
    client = Client()
    names = ["tanaka", "suzuki", "nobody1", "nobody2", "nobody3", "nobody4", "nobody5"][: settings.AXES_FAILURE_LIMIT]
    codes = [_try(client, name, "wrong", address="10.0.0.9") for name in names]
    assert codes[-1] == 429
    assert _try(Client(), "suzuki", PASSWORD, address="10.0.0.9") == 429  # a right password from that address too
    assert _try(Client(), "suzuki", PASSWORD, address="10.0.0.10") == 302  # another address logs in


def test_a_good_login_resets_the_count(strong_rep: object) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _try(client, "tanaka", "wrong")
    assert _try(client, "tanaka", PASSWORD) == 302
    assert _try(Client(), "tanaka", "wrong") == 200  # counting from zero again


def test_an_admin_lifts_the_lock_in_django_admin(strong_rep: object, admin_user: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try(Client(), "tanaka", "wrong")
    assert _try(Client(), "tanaka", PASSWORD) == 429
    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert b"tanaka" in listing.content
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    deleted = admin.post(
        reverse("admin:axes_accessattempt_changelist"), {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert deleted.status_code == 302
    assert _try(Client(), "tanaka", PASSWORD) == 302


@pytest.mark.parametrize("path", ["/admin/login/"])
def test_the_admin_login_is_throttled_too(strong_rep: object, path: str) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = client.post(path, {"username": "tanaka", "password": "wrong"}, REMOTE_ADDR="10.0.0.3")
    assert last.status_code == 429
