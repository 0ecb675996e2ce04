"""The database going away outside the view (in a middleware, after the view answered): the same clear 503.

DatabaseUnavailableMiddleware sees only what a view raises; Django turns an error raised in another
middleware into its 500 handler at that layer, which gives the same 503 (kokyaku/web/views.py
``server_error``). On PostgreSQL for real: the backend serving the app terminates itself
(``pg_terminate_backend(pg_backend_pid())``, what an administrator or a restart does to it) at the
moment SessionMiddleware saves the session after a login, or when a middleware of the test queries
after the view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import reverse

from kokyaku.crm.models import Account, Rep
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session_update_cuts_the_connection(db: None) -> Iterator[None]:
    """Until the test ends, an UPDATE of a session row ends the connection that sends it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION kk_cut_self() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$"
        )
        cursor.execute("CREATE TRIGGER kk_cut_self BEFORE UPDATE ON django_session FOR EACH ROW EXECUTE FUNCTION kk_cut_self()")
    yield
    connection.close()  # perhaps the terminated one
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER kk_cut_self ON django_session")
        cursor.execute("DROP FUNCTION kk_cut_self()")


def test_the_session_saved_after_a_login_on_a_lost_connection_gives_the_503_page(
    strong_rep: Rep, session_update_cuts_the_connection: None
) -> None:
    # The login view creates the session row (INSERT); SessionMiddleware writes the logged-in session after
    # the view (UPDATE): that is where the connection goes. Django's test client would re-raise; a server does not.
    browser = Client(raise_request_exception=False)
    answer = browser.post("/login/", {"username": "tanaka", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 503
    page = answer.content.decode()
    assert 'data-testid="database-unavailable"' in page
    assert "The database is not answering" in page
    assert "Traceback" not in page
    assert "Server Error" not in page
    assert answer["Retry-After"] == "15"
    assert "no-store" in answer["Cache-Control"]

    japanese = Client(raise_request_exception=False).post(
        "/login/", {"username": "tanaka", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert japanese.status_code == 503
    assert "データベースが応答していません" in japanese.content.decode()


def _query_after_the_view_on_a_lost_connection(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    """A middleware whose query after the view finds its connection gone (the server ends it at that moment)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.headers.get("X-Cut-After-View"):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return response

    return middleware


OUTSIDE_THE_VIEW = [
    *settings.MIDDLEWARE[: settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1],
    f"{__name__}._query_after_the_view_on_a_lost_connection",
    *settings.MIDDLEWARE[settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1 :],
]


@override_settings(MIDDLEWARE=OUTSIDE_THE_VIEW)
def test_a_connection_lost_in_a_middleware_gives_the_api_json_503_and_the_next_request_recovers(
    strong_account: Account, strong_rep: Rep
) -> None:
    assert isinstance(strong_rep.user, User)
    client = Client(raise_request_exception=False)
    assert client.login(username="tanaka", password=PASSWORD)
    api = f"/api/accounts/{strong_account.pk}"

    down = client.get(api, headers={"X-Cut-After-View": "1", "Accept-Language": "en"})
    assert down.status_code == 503
    assert down["Content-Type"] == "application/json"
    assert down.json() == {"detail": "The database is not answering right now; try again in a moment."}
    assert down["Retry-After"] == "15"

    page = client.get(reverse("portfolio:account", args=[strong_account.pk]), headers={"X-Cut-After-View": "1"})
    assert page.status_code == 503
    assert 'data-testid="database-unavailable"' in page.content.decode()

    back = client.get(api)  # the dead connection was closed: this request opens a new one
    assert back.status_code == 200
    assert back.json()["name"] == strong_account.name
