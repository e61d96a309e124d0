"""The actions a service guards with approvals, and their default policies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock


@dataclass(frozen=True)
class Applied:
    """What applying an approved request answered: the object's id and its representation."""

    object_id: str
    result: dict[str, Any]


# apply(session, clock, request, requester) performs the action as asked; it re-validates like the direct call.
Apply = Callable[[AsyncSession, Clock, dict[str, Any], Principal], Awaitable[Applied]]
# version_of(session, subject_id): the subject's version now (its row version, status, balance...), or None if gone.
VersionOf = Callable[[AsyncSession, str], Awaitable[str | None]]


@dataclass(frozen=True)
class GuardedAction:
    name: str  # e.g. invoice.write_off
    title_zh: str
    title_en: str
    apply: Apply
    version_of: VersionOf
    # The default policy (until an admin sets one): over this amount a second person approves; None: always.
    default_threshold: Decimal | None
    default_approver_scope: str
    default_expires_hours: int = 72


_ACTIONS: dict[str, GuardedAction] = {}


def register(action: GuardedAction) -> GuardedAction:
    _ACTIONS[action.name] = action
    return action


def guarded(name: str) -> GuardedAction | None:
    return _ACTIONS.get(name)


def guarded_actions(prefix: str | None = None) -> list[GuardedAction]:
    return sorted((a for a in _ACTIONS.values() if prefix is None or a.name.startswith(prefix)), key=lambda a: a.name)
