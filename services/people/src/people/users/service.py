"""Users' use cases: an admin creates, changes, disables and unlocks people; a person changes their password."""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import audit
from arflow.audit import snapshot
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.ids import uuid7
from people.config import PeopleSettings
from people.models import UserAccount
from people.roles import repository as roles_repository
from people.sessions import repository as sessions_repository
from people.users import passwords, repository
from people.users.errors import (
    CurrentPasswordWrong,
    LastAdmin,
    PasswordRejected,
    RoleUnknown,
    UsernameTaken,
    UserNotFound,
)
from people.users.schemas import UserIn, UserPatch

log = structlog.get_logger("people")


def check_password(password: str, *, username: str, settings: PeopleSettings) -> None:
    found = passwords.problems(password, username=username, min_length=settings.password_min_length)
    if found:
        raise PasswordRejected(
            "The password " + "; ".join(en for en, _ in found) + ".",
            detail_zh="密码" + "；".join(zh for _, zh in found) + "。",
            reasons=[en for en, _ in found],
        )


async def _check_roles(session: AsyncSession, roles: list[str]) -> list[str]:
    wanted = sorted(set(roles))
    missing = sorted(set(wanted) - await roles_repository.existing_names(session, wanted))
    if missing:
        listed = ", ".join(missing)
        raise RoleUnknown(
            f"There is no role {listed} (GET /roles lists them).", detail_zh=f"角色 {listed} 不存在（见 GET /roles）。"
        )
    return wanted


async def create_user(
    session: AsyncSession, *, clock: Clock, settings: PeopleSettings, data: UserIn, actor: Principal
) -> tuple[UserAccount, str | None]:
    """A new person with roles and a first password (given, or made and returned once), changed at first sign-in."""
    roles = await _check_roles(session, data.roles)
    generated = None
    if data.password is None:
        generated = passwords.generated()
    else:
        check_password(data.password, username=data.username, settings=settings)
    password_hash = await asyncio.to_thread(passwords.hash_password, data.password or generated or "")
    now = clock.now()
    user_id = uuid7()
    inserted = await session.scalar(
        pg_insert(UserAccount)
        .values(
            id=user_id,
            username=data.username,
            display_name=data.display_name,
            email=data.email,
            roles=roles,
            status="active",
            password_hash=password_hash,
            password_changed_at=now,
            must_change_password=True,
            failed_attempts=0,
            created_at=now,
            created_by=actor.name,
            updated_at=now,
            updated_by=actor.name,
        )
        .on_conflict_do_nothing()
        .returning(UserAccount.id)
    )
    if inserted is None:
        raise UsernameTaken(f"The username '{data.username}' is taken.", detail_zh=f"用户名“{data.username}”已被使用。")
    user = await repository.get_user(session, user_id)
    assert user is not None
    # (inserted by Core, to learn of a taken username without an exception: the ORM saw no new row)
    await audit.record(
        session, action="user_account.created", object_type="user_account", object_id=user.id, after=snapshot(user)
    )
    log.info("user.created", user_id=str(user_id), username=data.username, roles=roles, by=actor.name)
    return user, generated


async def require_user(session: AsyncSession, user_id: UUID, *, for_update: bool = False) -> UserAccount:
    user = await repository.get_user(session, user_id, for_update=for_update)
    if user is None:
        raise UserNotFound(f"There is no user {user_id}.", detail_zh=f"用户 {user_id} 不存在。")
    return user


async def update_user(
    session: AsyncSession, *, clock: Clock, user_id: UUID, patch: UserPatch, actor: Principal
) -> UserAccount:
    """Name, email, roles or status changed; a disabled user's sessions end. The last active admin stays one."""
    user = await require_user(session, user_id, for_update=True)
    roles = await _check_roles(session, patch.roles) if patch.roles is not None else user.roles
    status = patch.status or user.status
    stays_admin = "admin" in roles and status == "active"
    was_admin = "admin" in user.roles and user.status == "active"
    if was_admin and not stays_admin and await repository.other_active_admins(session, user.id) == 0:
        raise LastAdmin(
            f"{user.username} is the only active administrator: make someone else one first.",
            detail_zh=f"{user.username} 是唯一在用的管理员：请先指定另一位管理员。",
        )
    before = {"roles": list(user.roles), "status": user.status}
    now = clock.now()
    if patch.display_name is not None:
        user.display_name = patch.display_name
    if "email" in patch.model_fields_set:
        user.email = patch.email
    user.roles, user.status, user.updated_at, user.updated_by = roles, status, now, actor.name
    if status == "disabled" and before["status"] == "active":
        await sessions_repository.end_sessions_of(session, user.id, at=now, reason="user_disabled")
    await session.flush()
    log.info("user.updated", user_id=str(user.id), before=before, roles=roles, status=status, by=actor.name)
    return user


async def unlock(session: AsyncSession, *, clock: Clock, user_id: UUID, actor: Principal) -> UserAccount:
    user = await require_user(session, user_id, for_update=True)
    user.locked_until, user.failed_attempts = None, 0
    user.updated_at, user.updated_by = clock.now(), actor.name
    await session.flush()
    log.info("user.unlocked", user_id=str(user.id), by=actor.name)
    return user


async def reset_password(
    session: AsyncSession, *, clock: Clock, user_id: UUID, actor: Principal
) -> tuple[UserAccount, str]:
    """A new one-time password (returned once); the user's sessions end and the lock is lifted."""
    user = await require_user(session, user_id, for_update=True)
    password = passwords.generated()
    user.password_hash = await asyncio.to_thread(passwords.hash_password, password)
    now = clock.now()
    user.password_changed_at, user.must_change_password = now, True
    user.locked_until, user.failed_attempts = None, 0
    user.updated_at, user.updated_by = now, actor.name
    await sessions_repository.end_sessions_of(session, user.id, at=now, reason="password_reset")
    await session.flush()
    log.info("user.password_reset", user_id=str(user.id), by=actor.name)
    return user, password


async def change_own_password(
    session: AsyncSession,
    *,
    clock: Clock,
    settings: PeopleSettings,
    actor: Principal,
    current: str,
    new: str,
) -> UserAccount:
    """The signed-in user's password changed; their other sessions end."""
    assert actor.subject is not None
    user = await require_user(session, UUID(actor.subject), for_update=True)
    if not await asyncio.to_thread(passwords.verify, user.password_hash, current):
        raise CurrentPasswordWrong("The current password is wrong.", detail_zh="当前密码错误。")
    check_password(new, username=user.username, settings=settings)
    if new == current:
        raise PasswordRejected("The new password is the current one.", detail_zh="新密码与当前密码相同。")
    user.password_hash = await asyncio.to_thread(passwords.hash_password, new)
    now = clock.now()
    user.password_changed_at, user.must_change_password, user.updated_at, user.updated_by = now, False, now, actor.name
    keep = UUID(actor.session_id) if actor.session_id else None
    await sessions_repository.end_sessions_of(session, user.id, at=now, reason="password_changed", keep=keep)
    await session.flush()
    log.info("user.password_changed", user_id=str(user.id))
    return user


def is_locked(user: UserAccount, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now
