"""Pages that stay fast on a million rows: no COUNT(*) unless asked, and a keyset cursor.

:class:`KeysetPagination` is a ninja pagination class: an endpoint decorated with
``@paginate(KeysetPagination, orderings=..., default=...)`` returns a filtered queryset, and the
paginator orders it (by the ``ordering`` of the endpoint's filters), reads one page and writes the
page's links.

A page is read in two fixed queries: the ids of the page (sorting narrow rows), then those rows
with their joined owner, team or account by primary key. On SQLite this cut a sort over a million
accounts from about 5 s to 0.5 s, since the sorter no longer carries every joined column.

A page fetches ``limit + 1`` rows: the extra row tells whether a next page exists, so a page costs
one indexed query whatever the table size. The exact total (``COUNT(*)``, a scan of every matching
row) is computed only for ``count=true``.

Two ways to move on:

- ``offset``: simple, but the database still steps over every skipped row, so page 10,000 of a
  million-row list costs seconds.
- ``cursor`` (what the ``next`` link uses): the sort key and id of the last row seen, so the next
  page starts with ``WHERE (key, id) > (last key, last id)`` on the index and costs the same at
  any depth. Rows whose sort key is empty come last and are walked by id.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models import Field as DjangoField
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PaginationBase

from kokyaku.lib.api import bad_parameter

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Deeper than this, offset paging is refused (422): the database steps over every skipped row (an
# offset of 1.3 million activities took 0.8 s at 100,000 accounts, 18 s at a million); follow the cursor.
MAX_OFFSET = 10_000

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class OrderSpec:
    """One public ordering: ``key`` ascending or descending, then ``id`` ascending; NULL keys last."""

    key: str
    desc: bool
    nullable: bool

    @classmethod
    def parse(cls, model: type[Model], ordering: str, allowed: tuple[str, ...]) -> OrderSpec:
        """Read "key" or "-key"; raise ValueError unless key is in ``allowed``."""
        key = ordering.removeprefix("-")
        if key not in allowed:
            raise ValueError(f"unknown ordering {ordering!r}; use one of {', '.join(allowed)} (prefix - for descending)")
        return cls(key=key, desc=ordering.startswith("-"), nullable=bool(getattr(model._meta.get_field(key), "null", False)))

    def apply(self, qs: QuerySet[_M]) -> QuerySet[_M]:
        if self.key == "id":
            return qs.order_by("-id" if self.desc else "id")
        if not self.nullable:
            # Plain ORDER BY so that PostgreSQL can walk a b-tree index on the key in either direction.
            return qs.order_by(f"-{self.key}" if self.desc else self.key, "id")
        expr = F(self.key).desc(nulls_last=True) if self.desc else F(self.key).asc(nulls_last=True)
        return qs.order_by(expr, "id")


def order(qs: QuerySet[_M], ordering: str, allowed: tuple[str, ...]) -> QuerySet[_M]:
    """Return ``qs`` in a public ordering ("key" or "-key", then id); ValueError for a key not in ``allowed``."""
    return OrderSpec.parse(qs.model, ordering, allowed).apply(qs)


class PageParams(Schema):
    # The query parameters of every list. (A comment, not a docstring: it would enter the OpenAPI document.)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")
    offset: int = Field(
        0, ge=0, le=MAX_OFFSET, description=f"Rows to skip, at most {MAX_OFFSET:,}; deeper, follow `next` (the cursor)."
    )
    cursor: str | None = Field(None, max_length=1000, description="Opaque position from a previous page's next_cursor.")
    count: bool = Field(False, description="Also return the total number of matching rows (slower on large tables).")


class PageMeta(Schema):
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page (offset paging), or null on the last page.")
    next_cursor: str | None = Field(description="Pass as cursor= to get the next page; null on the last page.")
    next: str | None = Field(description="Path and query of the next page (cursor-based), or null on the last page.")
    count: int | None = Field(description="Total matching rows; only computed when asked with count=true.")


def _encode(ordering: str, value: Any, pk: int) -> str:
    if isinstance(value, datetime | date):
        value = value.isoformat()  # full precision: DjangoJSONEncoder would cut microseconds
    elif isinstance(value, Decimal):
        value = str(value)
    raw = json.dumps({"o": ordering, "v": value, "i": pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, model: type[Model], spec: OrderSpec, ordering: str) -> tuple[Any, int]:
    """Return (last key value, last id) from a cursor; raise HttpError(400) if it is not one of ours."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, pk = raw["v"], int(raw["i"])
        if raw["o"] != ordering:
            message = _("cursor: it was made for ordering %(made)s, not %(asked)s; start again without it.")
            raise HttpError(400, message % {"made": repr(raw["o"]), "asked": repr(ordering)})
        if value is not None and spec.key != "id":
            field = model._meta.get_field(spec.key)
            assert isinstance(field, DjangoField)
            value = field.to_python(value)
    except HttpError:
        raise
    except (ValueError, KeyError, TypeError, binascii.Error, ValidationError):
        raise HttpError(400, _("cursor: not a cursor from this API; use the next_cursor of a previous page.")) from None
    return value, pk


def _after(qs: QuerySet[_M], spec: OrderSpec, value: Any, pk: int) -> QuerySet[_M]:
    """Rows of ``qs`` that sort after (value, pk) in ``spec``'s order."""
    if spec.key == "id":
        return qs.filter(id__lt=pk) if spec.desc else qs.filter(id__gt=pk)
    key = spec.key
    if value is None:  # already in the tail of empty keys, which is ordered by id
        return qs.filter(**{f"{key}__isnull": True, "id__gt": pk})
    strict, inclusive = ("lt", "lte") if spec.desc else ("gt", "gte")
    # The redundant inclusive bound gives the database an index range to start from.
    return qs.filter(**{f"{key}__{inclusive}": value}).filter(Q(**{f"{key}__{strict}": value}) | Q(**{key: value, "id__gt": pk}))


def ids_of(qs: QuerySet[_M]) -> list[int]:
    return list(qs.values_list("id", flat=True))


def rows_of(qs: QuerySet[_M], ids: list[int]) -> list[_M]:
    """Load the rows of ``ids``, with ``qs``'s joins, in the order of ``ids`` (one query)."""
    if not ids:
        return []
    by_id = {row.pk: row for row in qs.order_by().filter(pk__in=ids)}
    return [by_id[i] for i in ids]


def keyset_page(
    request: HttpRequest, qs: QuerySet[_M], page: PageParams, *, ordering: str, allowed: tuple[str, ...]
) -> dict[str, Any]:
    """Return one page of ``qs`` in ``ordering`` as the body of a ``*Page`` schema (:class:`PageMeta` + items)."""
    spec = OrderSpec.parse(qs.model, ordering, allowed)
    qs = spec.apply(qs)
    want = page.limit + 1
    if page.cursor:
        if page.offset:
            raise HttpError(400, _("offset and cursor cannot be combined; the cursor already says where to go on."))
        value, pk = _decode(page.cursor, qs.model, spec, ordering)
        ids = ids_of(_after(qs, spec, value, pk)[:want])
        if len(ids) < want and spec.nullable and value is not None:
            ids += ids_of(qs.filter(**{f"{spec.key}__isnull": True})[: want - len(ids)])
    else:
        ids = ids_of(qs[page.offset : page.offset + want])
    more = len(ids) > page.limit
    next_offset = page.offset + page.limit  # past MAX_OFFSET there is none: the cursor (next) goes on
    rows = rows_of(qs, ids[: page.limit])
    next_cursor = next_url = None
    if more:
        last = rows[-1]
        next_cursor = _encode(ordering, getattr(last, spec.key), last.pk)
        query = request.GET.copy()
        query.pop("offset", None)
        query.pop("count", None)  # the total does not change from page to page: ask for it once
        query["cursor"] = next_cursor
        next_url = f"{request.path}?{query.urlencode()}"
    return {
        "items": rows,
        "limit": page.limit,
        "offset": page.offset,
        "next_offset": next_offset if more and not page.cursor and next_offset <= MAX_OFFSET else None,
        "next_cursor": next_cursor,
        "next": next_url,
        "count": qs.count() if page.count else None,
    }


class KeysetPagination(PaginationBase):
    """ninja's pagination class for :func:`keyset_page`.

    ``@paginate(KeysetPagination, orderings=ACCOUNT_ORDERINGS, default="name")``: the sort keys the
    list allows and its default; the order asked for is the ``ordering`` of the endpoint's
    ``filters`` parameter (a Literal there, so the API docs list the keys). The route declares its
    page schema itself (``response={200: AccountPage}``), so ``Output`` is None and ninja keeps it.
    """

    Input = PageParams  # type: ignore[assignment]  # ninja declares its own empty Input; ours is the page parameters
    Output = None  # type: ignore[assignment]  # the route's own *Page schema: PageMeta + items

    def __init__(self, *, orderings: tuple[str, ...], default: str, **kwargs: Any) -> None:
        self.orderings, self.default = orderings, default
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any) -> Any:
        ordering = getattr(params.get("filters"), "ordering", None) or self.default
        try:
            OrderSpec.parse(queryset.model, ordering, self.orderings)
        except ValueError as exc:  # a route whose ordering parameter is looser than its keys: a 422, never a 500
            raise bad_parameter("ordering", str(exc)) from None
        return keyset_page(request, queryset, pagination, ordering=ordering, allowed=self.orderings)
