"""The small shared helpers: backoff, time zones, the page query."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Select, String, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arflow.clock import DEFAULT_TIME_ZONE, is_time_zone
from arflow.pagination import PageParams, paginate
from arflow.retry import Backoff


def test_backoff_doubles_up_to_its_cap_and_starts_again_after_reset() -> None:
    backoff = Backoff(initial=0.5, cap=3.0)
    assert [backoff.delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.delay() == 0.5


def test_backoff_for_an_attempt_counts_from_the_first_failure() -> None:
    backoff = Backoff(initial=0.2, cap=10.0)
    assert [backoff.for_attempt(n) for n in (1, 2, 3, 100)] == [0.2, 0.4, 0.8, 10.0]
    assert backoff.delay() == 0.2  # asking for an attempt's delay leaves the running state alone


@pytest.mark.parametrize(("initial", "cap"), [(0, 1), (-1, 1), (2, 1)])
def test_backoff_refuses_a_delay_that_cannot_grow_to_its_cap(initial: float, cap: float) -> None:
    with pytest.raises(ValueError):
        Backoff(initial=initial, cap=cap)


@pytest.mark.parametrize(
    ("name", "known"),
    [
        (DEFAULT_TIME_ZONE, True),
        ("America/New_York", True),
        ("UTC", True),
        ("Mars/Olympus", False),
        ("", False),
        ("../../etc/passwd", False),
        ("Asia/Shanghai\x00", False),
        ("+08:00", False),
    ],
)
def test_is_time_zone_knows_iana_names_only(name: str, known: bool) -> None:
    assert is_time_zone(name) is known


class _Base(DeclarativeBase):
    pass


class _Thing(_Base):
    __tablename__ = "thing"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String)
    currency: Mapped[str] = mapped_column(String)


def _sql(query: Select[Any]) -> str:
    return str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))  # type: ignore[no-untyped-call]


def test_paginate_orders_newest_first_and_reads_one_more_than_the_page() -> None:
    sql = _sql(paginate(select(_Thing), _Thing.id, PageParams(limit=20, starting_after=None)))
    assert "ORDER BY thing.id DESC" in sql
    assert "LIMIT 21" in sql
    assert "WHERE" not in sql


def test_paginate_starts_after_the_cursor_and_skips_filters_that_are_none() -> None:
    cursor = uuid.UUID("01890000-0000-7000-8000-000000000000")
    query = paginate(
        select(_Thing), _Thing.id, PageParams(limit=5, starting_after=cursor), status="open", currency=None
    )
    sql = _sql(query)
    assert f"thing.id < '{cursor}'" in sql
    assert "thing.status = 'open'" in sql
    assert "currency =" not in sql
