"""An injectable clock: code asks it for the time, tests and "as of" runs set it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Where a customer's time zone is not known: the firm this platform was built for is in Shanghai.
DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move (tests, replays)."""

    def __init__(self, instant: datetime) -> None:
        self._instant = _require_aware(instant)

    def now(self) -> datetime:
        return self._instant

    def set(self, instant: datetime) -> None:
        self._instant = _require_aware(instant)

    def advance(self, delta: timedelta) -> None:
        self._instant += delta


def local_date(instant: datetime, time_zone: str) -> date:
    """The calendar date an instant falls on in a time zone (due dates are local dates)."""
    return _require_aware(instant).astimezone(ZoneInfo(time_zone)).date()


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows (`Asia/Shanghai`, not `CST` or `+08:00`)."""
    if not name or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC)
