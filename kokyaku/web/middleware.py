"""When the database goes away: a clear 503 (an HTML page, or the API's JSON ``detail``) instead of a 500.

PostgreSQL restarting, a connection cut by the network or by an administrator (``pg_terminate_backend``),
a database refusing connections, SQLite's file unreadable: Django raises ``OperationalError`` or
``InterfaceError`` from whatever query the view made. The answer is 503 with ``Retry-After``; the
broken connection is closed so that the next request opens a new one: the app recovers by itself as
soon as the database is back. The error is logged (logger ``kokyaku.database``) for monitoring.
The page is rendered without the request's context processors: they would ask the database again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger("kokyaku.database")
RETRY_AFTER = 15  # seconds


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer: JSON under /api/, the page elsewhere; never cached."""
    if request.path.startswith("/api/"):
        body = {"detail": _("The database is not answering right now; try again in a moment.")}
        response = HttpResponse(json.dumps(body, ensure_ascii=False), status=503, content_type="application/json")
    else:
        response = HttpResponse(render_to_string("web/503_database.html", {"retry_after": RETRY_AFTER}), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def database_down_answer(request: HttpRequest, exception: BaseException) -> HttpResponse | None:
    """The 503 for a lost or refused database connection (logged, the broken connection closed); None for other errors.

    The database error may be the cause of another: SessionMiddleware turns a failed session save
    into ``SessionInterrupted`` (a 400 "session was deleted"), with the OperationalError in its context.
    """
    cause: BaseException | None = exception
    while cause is not None and not isinstance(cause, OperationalError | InterfaceError):
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        return None
    exception = cause
    first_line = (str(exception).strip().splitlines() or [type(exception).__name__])[0]
    log.error("database unavailable on %s %s: %s", request.method, request.path, first_line)
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:  # an enclosing transaction's owner closes it
            continue
        try:
            connection.close_if_unusable_or_obsolete()
        except (OperationalError, InterfaceError):  # closing a dead connection may fail too: forget it
            connection.connection = None
    return database_unavailable(request)


class DatabaseUnavailableMiddleware:
    """Turns a lost or refused database connection, raised by a view, into :func:`database_unavailable`.

    Raised in another middleware instead (the session saved by SessionMiddleware after the view, the
    user read for NoStoreMiddleware, axes), Django turns the error into its 500 handler at that layer:
    ``handler500`` (kokyaku/web/views.py ``server_error``) gives the same 503 through
    :func:`database_down_answer`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return database_down_answer(request, exception)
