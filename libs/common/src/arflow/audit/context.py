"""The API call being served (who, which route, why) and the entries written for it."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.ids import uuid7
from arflow.persistence import audit_entry
from arflow.tracing import current_traceparent, trace_id_of

if TYPE_CHECKING:  # (arflow.auth tells the context who is calling: no import back at run time)
    from arflow.auth import Principal

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class AuditContext:
    """The API call being served: set by the service's middleware, the caller added once authenticated.

    `scope` is the call's ASGI scope, which routing fills in later with the route and its parameters.
    """

    method: str
    scope: MutableMapping[str, Any]
    at: datetime
    actor: Principal | None = None
    reason_code: str | None = None
    comment: str | None = None

    @property
    def path(self) -> str:
        route = self.scope.get("route")
        return str(getattr(route, "path", None) or self.scope.get("path", ""))

    @property
    def path_params(self) -> dict[str, str]:
        return {k: str(v) for k, v in (self.scope.get("path_params") or {}).items()}


_current: ContextVar[AuditContext | None] = ContextVar("arflow_audit_context", default=None)


def begin_request(context: AuditContext) -> Any:
    """Make `context` the call being served; returns the token `end_request` takes."""
    return _current.set(context)


def end_request(token: Any) -> None:
    _current.reset(token)


def current() -> AuditContext | None:
    return _current.get()


def set_actor(principal: Principal) -> None:
    """The caller of the call being served (from the auth dependency)."""
    context = _current.get()
    if context is not None:
        context.actor = principal


def set_reason(reason_code: str | None, comment: str | None = None) -> None:
    """The reason the caller gave (a write-off's reason, a void's comment): on every entry of the call."""
    context = _current.get()
    if context is not None:
        context.reason_code = reason_code or context.reason_code
        context.comment = comment or context.comment


def jsonable(value: Any) -> Any:
    """A column value as the entry keeps it: money and ids as strings, instants in ISO 8601."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def entry_values(context: AuditContext, **entry: Any) -> dict[str, Any]:
    actor = context.actor
    return {
        "id": uuid7(),
        "at": context.at,
        "actor": actor.name if actor else "anonymous",
        "actor_kind": actor.kind if actor else "anonymous",
        "actor_id": actor.subject if actor else None,
        "request_id": trace_id_of(current_traceparent()),
        "reason_code": context.reason_code,
        "comment": context.comment,
        **entry,
    }


async def record(
    session: AsyncSession,
    *,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason_code: str | None = None,
    comment: str | None = None,
) -> None:
    """An entry for a change the ORM does not see (a set-based write), in the session's transaction."""
    context = _current.get()
    if context is None:
        return
    values = entry_values(
        context,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=jsonable(before),
        after=jsonable(after),
    )
    if reason_code:
        values["reason_code"] = reason_code
    if comment:
        values["comment"] = comment
    await session.execute(insert(audit_entry).values(values))
    session.sync_session.info["audited"] = True


# The columns an entry is written with (the rest are the sealer's).
_ENTRY_COLUMNS = (
    "id",
    "at",
    "actor",
    "actor_kind",
    "actor_id",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "reason_code",
    "comment",
    "before",
    "after",
)
_JSON_COLUMNS = frozenset({"before", "after"})
_NOT_TEXT = {"id": "uuid", "at": "timestamptz"}


def _cast(column: str) -> str:
    if column in _JSON_COLUMNS:
        return f"CAST(:audit_{column} AS jsonb)"
    return f"CAST(:audit_{column} AS {_NOT_TEXT.get(column, 'text')})"


def entry_cte(*, source: str | None = None, after: str | None = None) -> str:
    """A CTE for a hot path's own statement (`WITH …, {entry_cte()} SELECT …`), fed by `entry_params`: the entry
    is written by the statement that makes the change, so auditing it costs no round trip of its own.

    `source`: a CTE of the statement the entry needs a row of (none written when it has none); `after`: an SQL
    expression for the after-image built from it (e.g. a number the statement itself takes). Without an audit
    context (an event's or a job's change) the parameters are NULL and it inserts nothing.
    """
    values = [after if c == "after" and after else _cast(c) for c in _ENTRY_COLUMNS]
    return (
        f"audited AS (INSERT INTO audit_entry ({', '.join(_ENTRY_COLUMNS)}) SELECT {', '.join(values)}"
        f"{f' FROM {source}' if source else ''} WHERE CAST(:audit_id AS uuid) IS NOT NULL)"
    )


# entry_cte's parameters when there is nothing to record in that statement.
NO_ENTRY: dict[str, Any] = {f"audit_{c}": None for c in _ENTRY_COLUMNS}


def entry_params(
    session: AsyncSession,
    *,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameters of `entry_cte` for a change the calling statement makes (as `record` would write it)."""
    context = _current.get()
    if context is None:
        return NO_ENTRY
    values = entry_values(
        context,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=jsonable(before),
        after=jsonable(after),
    )
    session.sync_session.info["audited"] = True
    return {
        f"audit_{c}": json.dumps(values[c], ensure_ascii=False)
        if c in _JSON_COLUMNS and values[c] is not None
        else values[c]
        for c in _ENTRY_COLUMNS
    }
