"""Limit/offset pages that never count a million rows unless asked.

A page fetches ``limit + 1`` rows: the extra row tells whether a next page exists, so a page costs
one indexed query whatever the table size. The exact total (``COUNT(*)``, a full scan of the
matching rows) is computed only for ``count=true``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10_000_000

_M = TypeVar("_M", bound=Model)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")
    count: bool = Field(False, description="Also return the total number of matching rows (slower on large tables).")


def paginate(request: HttpRequest, qs: QuerySet[_M], page: PageParams) -> dict[str, Any]:
    """Return one page of ``qs`` as the body of a ``*Page`` schema."""
    rows = list(qs[page.offset : page.offset + page.limit + 1])
    more = len(rows) > page.limit
    next_offset = page.offset + page.limit if more else None
    next_url = None
    if next_offset is not None:
        query = request.GET.copy()
        query["offset"] = str(next_offset)
        next_url = f"{request.path}?{query.urlencode()}"
    return {
        "items": rows[: page.limit],
        "limit": page.limit,
        "offset": page.offset,
        "next_offset": next_offset,
        "next": next_url,
        "count": qs.count() if page.count else None,
    }
