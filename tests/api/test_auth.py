"""Who may call the API: bearer tokens, the browser session with CSRF, and roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kokyaku.crm.models import Account, Rep
from kokyaku.users.models import ApiToken
from kokyaku.users.services import api_token_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_valid_bearer_token_identifies_its_user(strong_rep: Rep) -> None:
    _token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    response = Client().get("/api/ping", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "user": "tanaka"}


def test_using_a_token_records_when_it_was_last_used(strong_rep: Rep) -> None:
    token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    assert token.last_used_at is None
    Client().get("/api/accounts", headers={"Authorization": f"Bearer {plain}"})
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_no_credentials_is_401_with_a_detail_body(db: None) -> None:
    response = Client().get("/api/accounts")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_an_unknown_token_is_401(strong_rep: Rep) -> None:
    response = Client().get("/api/accounts", headers={"Authorization": "Bearer kky_deadbeef_not-a-real-token"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_revoked_token_is_401(strong_rep: Rep) -> None:
    token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    client = Client(headers={"Authorization": f"Bearer {plain}"})
    assert client.get("/api/accounts").status_code == 200
    ApiToken.objects.filter(pk=token.pk).delete()
    assert client.get("/api/accounts").status_code == 401


def test_the_token_of_a_deactivated_user_is_401(strong_rep: Rep) -> None:
    _token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    User.objects.filter(username="tanaka").update(is_active=False)
    response = Client().get("/api/accounts", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401


def test_a_malformed_authorization_header_is_401(strong_rep: Rep) -> None:
    response = Client().get("/api/accounts", headers={"Authorization": "Token abc"})
    assert response.status_code == 401


def test_a_login_without_a_role_is_refused_with_403(db: None) -> None:
    user = User.objects.create_user(username="nobody", password=PASSWORD)
    _token, plain = api_token_create(user=user)
    response = Client().get("/api/accounts", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403
    assert "role" in response.json()["detail"]


def test_the_browser_session_can_read(rep_client: Client) -> None:
    response = rep_client.get("/api/ping")
    assert response.status_code == 200
    assert response.json()["user"] == "tanaka"


def test_a_session_post_without_csrf_token_is_refused(strong_account: Account) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="tanaka", password=PASSWORD)
    response = client.post(
        "/api/activities", {"account": strong_account.pk, "kind": "call"}, content_type="application/json"
    )  # fmt: skip
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not strong_account.activities.exists()


def test_a_session_patch_without_csrf_token_is_refused(strong_account: Account) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="tanaka", password=PASSWORD)
    response = client.patch(f"/api/accounts/{strong_account.pk}", {"region": "Kansai"}, content_type="application/json")
    assert response.status_code == 403
    strong_account.refresh_from_db()
    assert strong_account.region == ""


def test_a_session_post_with_the_csrf_token_is_accepted(strong_account: Account) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="tanaka", password=PASSWORD)
    client.get("/api/docs")  # renders the CSRF token, which sets the cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/activities",
        {"account": strong_account.pk, "kind": "call"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201, response.content
    assert strong_account.activities.count() == 1


def test_a_token_post_needs_no_csrf_token(strong_account: Account) -> None:
    _token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {plain}"})
    response = client.post("/api/activities", {"account": strong_account.pk, "kind": "visit"}, content_type="application/json")
    assert response.status_code == 201, response.content
