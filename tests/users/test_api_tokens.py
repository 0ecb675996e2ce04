"""API token bookkeeping: last_used_at is written at most once a minute per token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from pytest_django import DjangoAssertNumQueries

from kokyaku.crm.models import Rep
from kokyaku.users.models import ApiToken
from kokyaku.users.services import LAST_USED_RESOLUTION, api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_the_first_use_is_recorded(strong_rep: Rep) -> None:
    token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    with time_machine.travel(T0, tick=False):
        assert api_token_authenticate(plain) == strong_rep.user
    token.refresh_from_db()
    assert token.last_used_at == T0


def test_uses_within_a_minute_do_not_write_again(strong_rep: Rep, django_assert_num_queries: DjangoAssertNumQueries) -> None:
    user = User.objects.get(username="tanaka")
    token, plain = api_token_create(user=user)
    with time_machine.travel(T0, tick=False):
        api_token_authenticate(plain)
    with (
        time_machine.travel(T0 + LAST_USED_RESOLUTION - timedelta(seconds=1), tick=False),
        django_assert_num_queries(1),  # the look-up only, no UPDATE
    ):
        who = api_token_authenticate(plain)
    assert who == user
    token.refresh_from_db()
    assert token.last_used_at == T0


def test_a_use_a_minute_later_is_recorded(strong_rep: Rep) -> None:
    token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    later = T0 + LAST_USED_RESOLUTION
    with time_machine.travel(T0, tick=False):
        api_token_authenticate(plain)
    with time_machine.travel(later, tick=False):
        api_token_authenticate(plain)
    token.refresh_from_db()
    assert token.last_used_at == later


def test_a_request_holding_a_stale_copy_does_not_overwrite_a_newer_use(strong_rep: Rep) -> None:
    """Two requests read the token at once; the second one's UPDATE finds the row already fresh."""
    token, plain = api_token_create(user=User.objects.get(username="tanaka"))
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=T0 + timedelta(seconds=30))
    with time_machine.travel(T0 + timedelta(seconds=45), tick=False):
        # last_used_at in the row is 15 s old: no write, even though the caller never saw that value
        api_token_authenticate(plain)
    token.refresh_from_db()
    assert token.last_used_at == T0 + timedelta(seconds=30)


def test_each_token_has_its_own_clock(strong_rep: Rep) -> None:
    user = User.objects.get(username="tanaka")
    first, first_plain = api_token_create(user=user, name="first")
    second, second_plain = api_token_create(user=user, name="second")
    with time_machine.travel(T0, tick=False):
        api_token_authenticate(first_plain)
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        api_token_authenticate(second_plain)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.last_used_at, second.last_used_at) == (T0, T0 + timedelta(seconds=10))
