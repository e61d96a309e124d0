"""Cursor pagination in the Stripe manner: `limit`, `starting_after`, `has_more`.

Ids are UUIDv7 (time-ordered), so "after" an id is simply "older than" it in
the newest-first order every list uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T")
S = TypeVar("S", bound=Select[*tuple[Any, ...]])  # a select of any number of columns


class Page(BaseModel, Generic[T]):
    object: str = "list"
    data: list[T]
    has_more: bool
    next_cursor: UUID | None = None


class PageParams(BaseModel):
    limit: int
    starting_after: UUID | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="How many items, 1-100.")] = 20,
    starting_after: Annotated[UUID | None, Query(description="The id of the last item of the previous page.")] = None,
) -> PageParams:
    return PageParams(limit=limit, starting_after=starting_after)


def make_page(
    items: list[T],
    params: PageParams,
    cursor_of: Callable[[T], UUID] = lambda item: item.id,  # type: ignore[attr-defined]
) -> Page[T]:
    """Build a page from up to limit+1 fetched items (the extra one only says there is more)."""
    has_more = len(items) > params.limit
    data = items[: params.limit]
    cursor = cursor_of(data[-1]) if has_more and data else None
    return Page[T](data=data, has_more=has_more, next_cursor=cursor)


def paginate(query: S, id_column: InstrumentedAttribute[Any], page: PageParams, **equal: object) -> S:
    """`query` newest first, one page of it (plus one row that says whether there is more).

    Each keyword is a column of the id's entity that must equal the value given; a
    `None` value is no filter, so optional query parameters pass straight through.
    """
    entity = id_column.class_
    query = query.order_by(id_column.desc()).limit(page.limit + 1)
    if page.starting_after is not None:
        query = query.where(id_column < page.starting_after)
    for name, value in equal.items():
        if value is not None:
            query = query.where(getattr(entity, name) == value)
    return query
