"""CRM routes: accounts, deals, activities, reps."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema

from kokyaku.api.urls import api


class PingOut(Schema):
    ok: bool
    user: str


@api.get("/ping", response=PingOut, tags=["meta"])
def ping(request: HttpRequest) -> PingOut:
    """Check that the API answers and who it thinks you are."""
    return PingOut(ok=True, user=request.user.get_username())
