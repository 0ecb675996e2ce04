"""The login backend: django-axes' throttling in front of Django's own password check."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend  # type: ignore[import-untyped]
from django.http import HttpRequest


class ThrottledBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """Refuses a login while its username or address is locked out (settings: AXES_*).

    A login without a request (``authenticate()`` called from code: a script, the test client's
    ``login()``) has no address to count and is not a web login: it is passed on unthrottled to the
    next backend, where axes itself would refuse it outright.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
