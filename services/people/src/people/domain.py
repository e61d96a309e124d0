"""Pure rules of approval notices: who may decide an approval, and when a failed email is tried again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

USER_PREFIX = "user:"
# The longest wait between two attempts of one notice, however many failed before.
MAX_RETRY_DELAY = timedelta(hours=6)


@dataclass(frozen=True)
class Person:
    """What the notice rules need of a user."""

    id: UUID
    username: str
    display_name: str
    email: str | None
    roles: tuple[str, ...]
    active: bool


def grants(scopes: Iterable[str], scope: str) -> bool:
    """Whether `scopes` allow `scope`, as a token with them would (arflow.auth.Principal.allows)."""
    held = set(scopes)
    service = scope.split(":", 1)[0]
    return "*" in held or scope in held or f"{service}:*" in held


def username_of(actor: str | None) -> str | None:
    """The username of `user:<username>`; None for an integration, the system or nobody (they have no mailbox)."""
    if actor and actor.startswith(USER_PREFIX):
        return actor.removeprefix(USER_PREFIX)
    return None


def approvers(
    people: Iterable[Person], role_scopes: Mapping[str, Iterable[str]], *, scope: str, requested_by: str | None
) -> list[Person]:
    """The active people whose roles grant `scope`, never the requester (a second person decides)."""
    requester = username_of(requested_by)
    found = []
    for person in people:
        if not person.active or person.username == requester:
            continue
        if any(grants(role_scopes.get(role, ()), scope) for role in person.roles):
            found.append(person)
    return sorted(found, key=lambda p: p.username)


@dataclass(frozen=True)
class AfterFailure:
    status: Literal["pending", "failed"]
    retry_at: datetime | None


def after_failed_attempt(attempts: int, *, now: datetime, max_attempts: int, base_delay: timedelta) -> AfterFailure:
    """After the `attempts`-th failure: give up, or try again after a delay that doubles each time."""
    if attempts >= max_attempts:
        return AfterFailure("failed", None)
    delay = min(base_delay * (2 ** (attempts - 1)), MAX_RETRY_DELAY)
    return AfterFailure("pending", now + delay)
