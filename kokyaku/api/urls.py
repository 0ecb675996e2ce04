"""The API object; routers are added by each app's ``api`` module.

Every error body is ``{"detail": ...}``: a message string, or for 422 the list of invalid fields.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from kokyaku.api.auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="Kokyaku API",
    version="1",
    description=(
        "Accounts, deals, activities, reps and teams of a Kokyaku portfolio. "
        "Authenticate with `Authorization: Bearer <token>` (create one with `kokyaku token USERNAME`) "
        "or the logged-in browser session (unsafe methods then need the CSRF token). "
        "Lists take `limit` (at most 500), `offset` and `count=true` for the total. "
        "Money amounts are decimal strings. "
        "How-to and examples: docs/api.md in the repository. [Back to Kokyaku](/)"
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "You may not do this."}, status=403)


@api.exception_handler(ValidationError)
def _bad_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=400)


# Each app registers its routes on `api` by being imported here (one line per app).
from kokyaku.api import crm  # noqa: E402,F401
from kokyaku.imports import api as imports_api  # noqa: E402,F401
from kokyaku.portfolio import api as portfolio_api  # noqa: E402,F401
