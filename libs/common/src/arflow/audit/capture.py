"""Entries made by themselves: every ORM change of an API call, and the call itself when nothing else was."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from arflow.audit.context import STATE_CHANGING, current, entry_values, jsonable
from arflow.persistence import audit_entry, platform_metadata

# Platform machinery is not business data: its rows are never entries, and writing them is no change.
_PLATFORM_TABLES = frozenset(platform_metadata.tables)
REDACTED = "[redacted]"


def _secret(column: str) -> bool:
    """A column no entry may show (a password's or token's hash is still a secret to guess against)."""
    return "password" in column or "secret" in column or column.endswith("_hash") or "token" in column


def _shown(column: str, value: Any) -> Any:
    return REDACTED if value is not None and _secret(column) else jsonable(value)


def _identity(instance: Any) -> str | None:
    key = inspect(instance).identity
    if key is None:
        mapper = inspect(instance).mapper
        key = tuple(getattr(instance, c.key, None) for c in mapper.primary_key)
    parts = [str(k) for k in key if k is not None]
    return "/".join(parts) or None


def _columns(instance: Any) -> dict[str, Any]:
    state = inspect(instance)
    return {attr.key: _shown(attr.key, attr.value) for attr in state.attrs if attr.key in state.mapper.columns}


def snapshot(instance: Any) -> dict[str, Any]:
    """An ORM object's columns as an entry shows them (secrets redacted): for `record` after a Core write."""
    return _columns(instance)


def _changed(instance: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(instance)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.attrs:
        if attr.key not in state.mapper.columns:
            continue
        history = attr.history
        if history.has_changes():
            before[attr.key] = _shown(attr.key, history.deleted[0] if history.deleted else None)
            after[attr.key] = _shown(attr.key, history.added[0] if history.added else None)
    return before, after


def _table_of(instance: Any) -> str:
    return str(inspect(instance).mapper.persist_selectable.name)


def _on_flush(session: Session, flush_context: UOWTransaction) -> None:
    context = current()
    if context is None:
        return
    rows: list[dict[str, Any]] = []
    for kind, instances_of_kind in (("created", session.new), ("updated", session.dirty), ("deleted", session.deleted)):
        for instance in instances_of_kind:
            table = _table_of(instance)
            if table in _PLATFORM_TABLES:
                continue
            if kind == "updated":
                before, after = _changed(instance)
                if not after:
                    continue  # (touched, nothing changed)
            elif kind == "created":
                before, after = {}, _columns(instance)
            else:
                before, after = _columns(instance), {}
            rows.append(
                entry_values(
                    context,
                    action=f"{table}.{kind}",
                    object_type=table,
                    object_id=_identity(instance),
                    before=before or None,
                    after=after or None,
                )
            )
    if rows:
        session.info["wrote"] = True
        # (ids of new rows made by the database are unknown before the flush: such a row's entry names none)
        session.execute(insert(audit_entry), rows)
        session.info["audited"] = True


def _on_execute(orm_execute_state: Any) -> None:
    if not (orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    if getattr(table, "name", None) not in _PLATFORM_TABLES:
        orm_execute_state.session.info["wrote"] = True


def _before_commit(session: Session) -> None:
    context = current()
    info = session.info
    wrote, audited = info.pop("wrote", False), info.pop("audited", False)
    if context is None or context.method not in STATE_CHANGING or not wrote or audited:
        return
    # A change the ORM did not see and nobody recorded: the call itself is the entry.
    object_id = "/".join(context.path_params.values()) or None
    session.execute(
        insert(audit_entry).values(
            entry_values(
                context,
                action=f"{context.method} {context.path}",
                object_type="request",
                object_id=object_id,
                before=None,
                after=None,
            )
        )
    )


def _after_rollback(session: Session) -> None:
    session.info.pop("wrote", None)
    session.info.pop("audited", None)


_installed = False


def install() -> None:
    """Capture changes for every session of this process (idempotent; the service factory calls it)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _on_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", lambda session, previous: _after_rollback(session))
    _installed = True
