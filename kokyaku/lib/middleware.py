"""Middleware Kokyaku adds to Django's: nothing a logged-in user sees is kept in a cache."""

from __future__ import annotations

from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a logged-in user or an API token (issue 15).

    Pages and API answers carry customer data, and the tokens page a new token once: no browser or
    proxy cache keeps them. Answers that set their own Cache-Control (static files, served by
    WhiteNoise before this runs) are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):  # first: the database-down 503 sets it, and asking for the user would query
            return response
        user = getattr(request, "user", None)  # the API's token auth sets it while the view runs
        try:
            logged_in = user is not None and user.is_authenticated
        except (OperationalError, InterfaceError):  # the session could not be read: keep nothing, to be safe
            logged_in = True
        if logged_in:
            patch_cache_control(response, private=True, no_store=True)
        return response
