"""REST endpoints of signing in (thin)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from arflow.service import ClockDep, SessionDep
from people.deps import Self
from people.sessions import service
from people.sessions.errors import SigningKeyMissing
from people.sessions.schemas import RefreshIn, SessionOut, SignInIn
from people.sessions.service import Issued
from people.users.schemas import user_out

router = APIRouter()


def _key(request: Request) -> str:
    key: str | None = request.app.state.signing_key
    if key is None:
        raise SigningKeyMissing(
            "No token-signing key is set (ARFLOW_TOKEN_PRIVATE_KEY_FILE): nobody can sign in.",
            detail_zh="未设置令牌签名密钥（ARFLOW_TOKEN_PRIVATE_KEY_FILE），无法登录。",
        )
    return key


def session_out(issued: Issued, now_seconds: float) -> SessionOut:
    return SessionOut(
        access_token=issued.access_token,
        expires_in=max(0, int(issued.expires_at.timestamp() - now_seconds)),
        expires_at=issued.expires_at,
        refresh_token=issued.refresh_token,
        session_id=str(issued.session.id),
        session_expires_at=issued.session.expires_at,
        scopes=sorted(issued.scopes),
        must_change_password=issued.user.must_change_password,
        user=user_out(issued.user),
    )


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionOut,
    tags=["sessions"],
    summary="Sign in with a username and password: a token for every service and a refresh token",
    openapi_extra={"security": []},
)
async def sign_in(body: SignInIn, request: Request, session: SessionDep, clock: ClockDep) -> SessionOut:
    issued = await service.sign_in(
        session,
        db=request.app.state.db,
        clock=clock,
        settings=request.app.state.settings,
        key=_key(request),
        username=body.username,
        password=body.password,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    return session_out(issued, clock.now().timestamp())


@router.post(
    "/sessions/refresh",
    response_model=SessionOut,
    tags=["sessions"],
    summary="Exchange a refresh token (once) for a new token pair",
    openapi_extra={"security": []},
)
async def refresh(body: RefreshIn, request: Request, session: SessionDep, clock: ClockDep) -> SessionOut:
    issued = await service.refresh(
        session,
        db=request.app.state.db,
        clock=clock,
        settings=request.app.state.settings,
        key=_key(request),
        refresh_token=body.refresh_token,
    )
    return session_out(issued, clock.now().timestamp())


@router.delete("/sessions/current", status_code=204, tags=["sessions"], summary="Sign out: end this session")
async def sign_out(session: SessionDep, clock: ClockDep, principal: Self) -> None:
    await service.sign_out(session, clock=clock, actor=principal)
