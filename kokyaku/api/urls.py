"""The REST API: one NinjaAPI that mounts each app's router (``kokyaku/<app>/api.py``).

Every error body is ``{"detail": ...}``: a message string, or for 422 the list of invalid fields.
An app adds its endpoints by declaring a ``Router`` and getting one line below; no app imports
this module.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from kokyaku.api.auth import SessionAuth, TokenAuth
from kokyaku.assignment.api import router as assignment_router
from kokyaku.buyers.api import router as buyers_router
from kokyaku.crm.api import router as crm_router
from kokyaku.followups.api import router as followups_router
from kokyaku.imports.api import router as imports_router
from kokyaku.jobs.api import router as jobs_router
from kokyaku.lib.api import ErrorOut, ValidationErrorOut
from kokyaku.portfolio.api import router as portfolio_router
from kokyaku.prediction.api import router as prediction_router
from kokyaku.retention.api import router as retention_router


class KokyakuAPI(NinjaAPI):
    """The NinjaAPI whose operation ids stay as first published.

    ninja derives an operation id from the view's module; crm's routes (and ping) lived in
    ``kokyaku/api/crm.py`` until issue 10, so they keep ``kokyaku_api_crm_<name>``: clients
    generated from the OpenAPI document keep their method names.
    """

    def get_openapi_operation_id(self, operation: Operation) -> str:
        if operation.view_func.__module__ in ("kokyaku.crm.api", __name__):
            return f"kokyaku_api_crm_{operation.view_func.__name__}"
        return super().get_openapi_operation_id(operation)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        """The document, with the answers every operation can give whatever its route declares (issue 15).

        401 (no or a bad token: every operation needs one), 503 (the database is not answering:
        kokyaku/web/middleware.py), 403 on unsafe methods (a session write without the CSRF token),
        422 wherever there is a parameter or a body to get wrong. A route's own declaration wins.
        """
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        invalid = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationErrorOut"}}}}
        for operations in schema["paths"].values():
            for method, op in operations.items():
                answers = op["responses"]  # ninja's keys are ints (JSON makes them strings)
                answers.setdefault(401, {"description": "Unauthorized: no credentials, or an unknown or revoked token", **error})
                if method != "get":
                    answers.setdefault(403, {"description": "Forbidden: a session write without the CSRF token", **error})
                if op.get("parameters") or "requestBody" in op:  # a number or text the database refuses: 400 (handlers below)
                    answers.setdefault(
                        400, {"description": "A value the database cannot take (a NUL byte, a number beyond 64 bits)", **error}
                    )
                    answers.setdefault(422, {"description": "A parameter or field has the wrong type or range", **invalid})
                answers.setdefault(
                    503, {"description": "The database is not answering; retry after Retry-After seconds", **error}
                )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorOut, ValidationErrorOut):  # referenced above even when no route names them
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(model_schema.pop("$defs", {}))
            components.setdefault(model.__name__, model_schema)
        return schema


def _login_required_for_docs(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """/api/docs and /api/openapi.json for a logged-in browser or a valid API token only (issue 15).

    The document lists every operation and field of the customer data; docs/web.md has always said
    "logged in". The docs page sends an anonymous browser to the login page and back; the JSON answers
    401 with the API's ``{"detail": ...}``, so a client generator run with a token still gets it.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer ") and TokenAuth().authenticate(request, header[7:].strip()) is not None:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse({"detail": _("Log in or send an API token to read the API document.")}, status=401)
        return redirect_to_login(request.get_full_path())

    return wrapped


api = KokyakuAPI(
    title="Kokyaku API",
    version="1",
    description=(
        "Accounts, deals, activities, reps and teams of a Kokyaku portfolio. "
        "Authenticate with `Authorization: Bearer <token>` (create one with `kokyaku token USERNAME`) "
        "or the logged-in browser session (unsafe methods then need the CSRF token). "
        "Lists take `limit` (at most 500), `offset` (at most 10,000; deeper, follow `next`) and `count=true` for the total. "
        "Money amounts are decimal strings. "
        "How-to and examples: docs/api.md in the repository. [Back to Kokyaku](/)"
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_decorator=_login_required_for_docs,
)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or _("You may not do this.")}, status=403)


@api.exception_handler(ValidationError)
def _bad_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=400)


@api.exception_handler(DataError)
def _refused_by_database(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the database cannot store (PostgreSQL refuses a NUL byte in text): the request's fault, so 400."""
    if "\x00" in str(exc) or "NUL" in str(exc):
        detail = _("Text cannot contain a NUL character; remove it and send again.")
    else:
        detail = _("The database refused a value of this request: %(reason)s") % {"reason": str(exc).splitlines()[0]}
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(OverflowError)
def _number_too_large(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    """A whole number beyond 64 bits reached a query (SQLite cannot bind it; PostgreSQL simply finds nothing): 400."""
    detail = _("A number in this request is too large for the database (at most %(max)s).") % {"max": f"{2**63 - 1}"}
    return api.create_response(request, {"detail": detail}, status=400)


class PingOut(Schema):
    ok: bool
    user: str


@api.get("/ping", response=PingOut, tags=["meta"], summary="Who am I")
def ping(request: HttpRequest) -> PingOut:
    """Check that the API answers and who it thinks you are."""
    return PingOut(ok=True, user=request.user.get_username())


# Each router spells its paths in full ("/portfolio/rows"), so a route reads as the URL it answers.
api.add_router("", crm_router)
api.add_router("", portfolio_router)
api.add_router("", imports_router)
api.add_router("", prediction_router)
api.add_router("", retention_router)
api.add_router("", followups_router)
api.add_router("", assignment_router)
api.add_router("", buyers_router)
api.add_router("", jobs_router)
