"""The API object; routers are added by each app's ``api`` module."""

from ninja import NinjaAPI

from kokyaku.api.auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="Kokyaku API",
    version="1",
    description="Accounts, deals, activities and reps of a Kokyaku portfolio. Authenticate with `Authorization: Bearer <token>`.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)

# Each app registers its routes on `api` by being imported here (one line per app).
from kokyaku.api import crm  # noqa: E402,F401
