"""Cursor pagination in the Stripe manner: `limit`, `starting_after`, `has_more`.

Ids are UUIDv7 (time-ordered), so "after" an id is simply "older than" it in
the newest-first order every list uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")


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
