"""The API tokens page: create a token (shown once), list my tokens, revoke only my own."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kokyaku.crm.models import Rep
from kokyaku.users.models import ApiToken
from kokyaku.users.services import api_token_authenticate, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

URL = "/tokens/"


def _plain_from(html: str) -> str:
    match = re.search(r'<code class="secret">(kky_[^<]+)</code>', html)
    assert match, "the new token should be on the page"
    return match.group(1)


def test_a_new_token_is_shown_once_and_then_works_for_the_api(rep_client: Client, strong_rep: Rep) -> None:
    response = rep_client.post(URL, {"name": "nightly export"})
    assert response.status_code == 200
    plain = _plain_from(response.content.decode())
    assert api_token_authenticate(plain) == strong_rep.user
    listing = rep_client.get(URL).content.decode()
    assert "nightly export" in listing
    assert plain not in listing  # only the prefix is ever shown again


def test_the_page_lists_only_my_tokens(rep_client: Client, developing_rep: Rep, strong_rep: Rep) -> None:
    assert developing_rep.user is not None
    api_token_create(user=developing_rep.user, name="suzuki's laptop")
    api_token_create(user=User.objects.get(username="tanaka"), name="tanaka's script")
    html = rep_client.get(URL).content.decode()
    assert "tanaka&#x27;s script" in html
    assert "suzuki" not in html


def test_revoking_my_token_stops_it_working(rep_client: Client, strong_rep: Rep) -> None:
    assert strong_rep.user is not None
    token, plain = api_token_create(user=strong_rep.user, name="old")
    response = rep_client.post(f"/tokens/{token.pk}/revoke/", follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Token revoked." in response.content.decode()
    assert api_token_authenticate(plain) is None


def test_revoking_someone_elses_token_is_a_404_and_leaves_it_working(rep_client: Client, developing_rep: Rep) -> None:
    assert developing_rep.user is not None
    token, plain = api_token_create(user=developing_rep.user, name="suzuki's")
    response = rep_client.post(f"/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert api_token_authenticate(plain) == developing_rep.user


def test_revoke_is_post_only(rep_client: Client, strong_rep: Rep) -> None:
    assert strong_rep.user is not None
    token, _plain = api_token_create(user=strong_rep.user)
    assert rep_client.get(f"/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_revoke_service_deletes_only_the_users_own_token(strong_rep: Rep, developing_rep: Rep) -> None:
    assert strong_rep.user is not None
    assert developing_rep.user is not None
    mine, _ = api_token_create(user=strong_rep.user)
    theirs, _ = api_token_create(user=developing_rep.user)
    assert api_token_revoke(user=strong_rep.user, token_id=theirs.pk) is False
    assert api_token_revoke(user=strong_rep.user, token_id=mine.pk) is True
    assert api_token_revoke(user=strong_rep.user, token_id=mine.pk) is False
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_anonymous_visitors_cannot_create_tokens(client: Client) -> None:
    response = client.post(URL, {"name": "x"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
