"""The database going away: a clear 503 page (both languages) and a JSON 503 from the API, and recovery when it returns.

On PostgreSQL for real: the test cuts the app's own connection with ``pg_terminate_backend`` (what a
restart or a network cut does to it), and makes the database refuse new connections for a while
(``ALTER DATABASE ... ALLOW_CONNECTIONS false``, what a stopped server looks like from the app).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from kokyaku.crm.models import Account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_connection() -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection of the test's own to the server's maintenance database, to cut and block the app's."""
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"] or None,
        dbname="postgres", autocommit=True,
    ) as admin:  # fmt: skip
        yield admin
        admin.execute(f'ALTER DATABASE "{s["NAME"]}" ALLOW_CONNECTIONS true')  # whatever happened in the test


def _cut(admin: psycopg.Connection[tuple[object, ...]]) -> int:
    """Terminate every session on the test database but the admin's; return how many."""
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [connection.settings_dict["NAME"]],
    ).fetchall()
    return len(rows)


def test_a_cut_connection_gives_a_503_page_and_the_next_request_recovers(
    strong_account: Account, rep_client: Client, admin_connection: psycopg.Connection[tuple[object, ...]]
) -> None:
    url = reverse("portfolio:account", args=[strong_account.pk])
    assert rep_client.get(url).status_code == 200
    assert _cut(admin_connection) >= 1

    down = rep_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert down.status_code == 503
    page = down.content.decode()
    assert "The database is not answering" in page
    assert 'data-testid="database-unavailable"' in page
    assert "Traceback" not in page
    assert down["Retry-After"] == "15"

    back = rep_client.get(url)  # the broken connection was closed: this request opens a new one
    assert back.status_code == 200
    assert strong_account.name in back.content.decode()


def test_a_refusing_database_answers_503_in_japanese_and_json_until_it_returns(
    strong_account: Account, rep_client: Client, admin_connection: psycopg.Connection[tuple[object, ...]]
) -> None:
    name = connection.settings_dict["NAME"]
    api = f"/api/accounts/{strong_account.pk}"
    page = reverse("portfolio:account", args=[strong_account.pk])
    assert rep_client.get(api).status_code == 200
    admin_connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    _cut(admin_connection)

    for _attempt in range(2):  # still down on the next request: the same clear answer each time
        answer = rep_client.get(api, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 503
        assert answer["Content-Type"] == "application/json"
        assert answer.json() == {"detail": "The database is not answering right now; try again in a moment."}
    japanese = rep_client.get(page, HTTP_ACCEPT_LANGUAGE="ja")
    assert japanese.status_code == 503
    assert "データベースが応答していません" in japanese.content.decode()
    assert rep_client.get(api, HTTP_ACCEPT_LANGUAGE="ja").json()["detail"].startswith("データベースが応答していません")
    patch = rep_client.patch(api, '{"region": "Kansai"}', content_type="application/json")
    assert patch.status_code == 503

    admin_connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert rep_client.get(api).json()["name"] == strong_account.name  # back, without restarting anything
    assert rep_client.patch(api, '{"region": "Kansai"}', content_type="application/json").status_code == 200
    assert Account.objects.get(pk=strong_account.pk).region == "Kansai"
