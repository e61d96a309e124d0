"""Signing in: a password checked (with lock-out), a session opened, tokens issued, refreshed and revoked.

An access token is a short-lived JWT every service verifies by itself; the
refresh token is opaque, stored as its SHA-256 and rotated at each use. A
refresh token used twice means someone else holds a copy: the session ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.audit import set_actor
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.db import Database
from arflow.ids import uuid7
from arflow.tokens import TokenClaims, sign
from people.config import PeopleSettings
from people.models import SignInSession, UserAccount
from people.roles import repository as roles_repository
from people.roles.defaults import SELF_SCOPE
from people.sessions import repository
from people.sessions.errors import AccountLocked, InvalidCredentials, NotSignedIn, SessionEnded
from people.users import passwords
from people.users import repository as users_repository
from people.users.service import is_locked

log = structlog.get_logger("people")
REFRESH_PREFIX = "arfr_"


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_at: datetime
    refresh_token: str
    session: SignInSession
    user: UserAccount
    scopes: frozenset[str]


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


async def _scopes(session: AsyncSession, user: UserAccount) -> frozenset[str]:
    if user.must_change_password:
        return frozenset({SELF_SCOPE})  # a password someone else knows opens nothing else
    return frozenset(await roles_repository.scopes_of(session, user.roles)) | {SELF_SCOPE}


async def _issue(
    session: AsyncSession, *, clock: Clock, settings: PeopleSettings, key: str, user: UserAccount, row: SignInSession
) -> Issued:
    now = clock.now()
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    row.previous_refresh_hash, row.refresh_hash, row.last_used_at = row.refresh_hash or None, _digest(refresh), now
    scopes = await _scopes(session, user)
    expires_at = min(now + timedelta(minutes=settings.access_token_minutes), row.expires_at)
    claims = TokenClaims(
        subject=str(user.id),
        name=user.username,
        scopes=scopes,
        roles=tuple(user.roles),
        session_id=str(row.id),
        expires_at=expires_at,
    )
    token = sign(key, claims, issued_at=now, token_id=str(uuid7()))
    await session.flush()
    return Issued(token, expires_at, refresh, row, user, scopes)


async def sign_in(
    session: AsyncSession,
    *,
    db: Database,
    clock: Clock,
    settings: PeopleSettings,
    key: str,
    username: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
) -> Issued:
    """A session for the user whose password this is. A wrong password counts towards the lock-out in a
    transaction of its own (the refusal rolls the request's back); the answer never says which part was wrong."""
    now = clock.now()
    # (not locked here: a failure is counted in a transaction of its own, which would wait for this one)
    user = await users_repository.user_by_username(session, username.strip().lower())
    if user is not None and is_locked(user, now):
        assert user.locked_until is not None
        retry = max(1, int((user.locked_until - now).total_seconds()))
        raise AccountLocked(
            f"Too many failed sign-ins: the account is locked until {user.locked_until.isoformat()}"
            " (or until an administrator unlocks it).",
            detail_zh=f"登录失败次数过多，账户锁定至 {user.locked_until.isoformat()}（或由管理员解锁）。",
            headers={"Retry-After": str(retry)},
        )
    good = await asyncio.to_thread(passwords.verify, user.password_hash if user else None, password)
    if user is None or not good or user.status != "active":
        if user is not None and not good:
            await _count_failure(db, clock=clock, settings=settings, user_id=user.id)
        log.info("session.sign_in_refused", username=username[:64], known=user is not None)
        raise InvalidCredentials(
            "The username or password is wrong, or the account is disabled.",
            detail_zh="用户名或密码错误，或账户已停用。",
            headers={"WWW-Authenticate": 'Bearer realm="arflow"'},
        )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(passwords.hash_password, password)
    # The person signing in is the author of what signing in changes (their session, their counters).
    set_actor(Principal(name=f"user:{user.username}", kind="user", subject=str(user.id)))
    user.failed_attempts, user.locked_until, user.last_sign_in_at = 0, None, now
    row = SignInSession(
        id=uuid7(),
        user_id=user.id,
        refresh_hash="",
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
        last_used_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    issued = await _issue(session, clock=clock, settings=settings, key=key, user=user, row=row)
    log.info("session.signed_in", user_id=str(user.id), session_id=str(row.id))
    return issued


async def _count_failure(db: Database, *, clock: Clock, settings: PeopleSettings, user_id: UUID) -> None:
    async with db.unit_of_work() as own:
        user = await users_repository.get_user(own, user_id, for_update=True)
        if user is None:
            return
        user.failed_attempts += 1
        if user.failed_attempts >= settings.lockout_threshold:
            user.locked_until = clock.now() + timedelta(minutes=settings.lockout_minutes)
            user.failed_attempts = 0
            log.warning("user.locked_out", user_id=str(user.id), until=user.locked_until.isoformat())


async def refresh(
    session: AsyncSession, *, db: Database, clock: Clock, settings: PeopleSettings, key: str, refresh_token: str
) -> Issued:
    """A new token pair for a live session; a refresh token presented a second time ends its session (in a
    transaction of its own: the refusal rolls the request's back)."""
    now = clock.now()
    digest = _digest(refresh_token)
    row = await repository.session_by_refresh(session, digest)
    if row is None:
        reused = await repository.session_by_previous_refresh(session, digest)
        if reused is not None and reused.ended_at is None:
            await _end(db, reused.id, at=now, reason="refresh_reused")
            log.warning("session.refresh_reused", session_id=str(reused.id), user_id=str(reused.user_id))
            raise SessionEnded(
                "The refresh token was used before, so someone else may hold it: the session has ended. Sign in again.",
                detail_zh="该刷新令牌已被使用过，可能已泄露：会话已结束，请重新登录。",
            )
        raise SessionEnded("The refresh token is not valid: sign in again.", detail_zh="刷新令牌无效，请重新登录。")
    if row.ended_at is not None or row.expires_at <= now:
        raise SessionEnded("The session has ended: sign in again.", detail_zh="会话已结束，请重新登录。")
    user = await users_repository.get_user(session, row.user_id)
    if user is None or user.status != "active":
        await _end(db, row.id, at=now, reason="user_disabled")
        raise SessionEnded("The account is disabled: the session has ended.", detail_zh="账户已停用，会话已结束。")
    return await _issue(session, clock=clock, settings=settings, key=key, user=user, row=row)


async def _end(db: Database, session_id: UUID, *, at: datetime, reason: str) -> None:
    async with db.unit_of_work() as own:
        row = await repository.get_session(own, session_id)
        if row is not None and row.ended_at is None:
            row.ended_at, row.end_reason = at, reason


async def sign_out(session: AsyncSession, *, clock: Clock, actor: Principal) -> None:
    """The caller's session ended: its refresh token stops working at once (its access token within minutes)."""
    if actor.kind != "user" or actor.session_id is None:
        raise NotSignedIn(
            "Only a signed-in person has a session to end.", detail_zh="只有已登录的用户才有可结束的会话。"
        )
    row = await repository.get_session(session, UUID(actor.session_id))
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = clock.now(), "signed_out"
        await session.flush()
    log.info("session.signed_out", session_id=actor.session_id)
