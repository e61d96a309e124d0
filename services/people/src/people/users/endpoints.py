"""REST endpoints of users and of the signed-in user's own account (thin)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from people.deps import Admin, Paging, Reader, Self
from people.sessions.errors import NotSignedIn
from people.users import repository, service
from people.users.schemas import (
    PasswordChangeIn,
    PasswordResetOut,
    UserCreatedOut,
    UserIn,
    UserOut,
    UserPatch,
    UserStatus,
    user_out,
)

router = APIRouter()


@router.post(
    "/users",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=UserCreatedOut,
    tags=["users"],
    summary="Create a person with roles; their first password is changed at first sign-in",
)
async def create_user(
    body: UserIn, request: Request, session: SessionDep, clock: ClockDep, principal: Admin
) -> JSONResponse:
    async def create() -> UserCreatedOut:
        user, generated = await service.create_user(
            session, clock=clock, settings=request.app.state.settings, data=body, actor=principal
        )
        return UserCreatedOut(**user_out(user).model_dump(), initial_password=generated)

    return await idempotent(request, session, principal, body, create)


@router.get("/users", response_model=Page[UserOut], tags=["users"], summary="People, newest first")
async def list_users(
    session: SessionDep, _: Reader, page: Paging, role: str | None = None, status: UserStatus | None = None
) -> Page[UserOut]:
    users = await repository.list_users(session, page, role=role, status=status)
    return make_page([user_out(u) for u in users], page)


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
async def get_user(user_id: UUID, session: SessionDep, _: Reader) -> UserOut:
    return user_out(await service.require_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"], summary="Change a person's roles or status")
async def update_user(
    user_id: UUID, body: UserPatch, session: SessionDep, clock: ClockDep, principal: Admin
) -> UserOut:
    return user_out(await service.update_user(session, clock=clock, user_id=user_id, patch=body, actor=principal))


@router.post("/users/{user_id}/unlock", response_model=UserOut, tags=["users"], summary="Lift a lock-out")
async def unlock_user(user_id: UUID, session: SessionDep, clock: ClockDep, principal: Admin) -> UserOut:
    return user_out(await service.unlock(session, clock=clock, user_id=user_id, actor=principal))


@router.post(
    "/users/{user_id}/password-reset",
    response_model=PasswordResetOut,
    tags=["users"],
    summary="Give a person a one-time password (shown once); their sessions end",
)
async def reset_password(user_id: UUID, session: SessionDep, clock: ClockDep, principal: Admin) -> PasswordResetOut:
    user, password = await service.reset_password(session, clock=clock, user_id=user_id, actor=principal)
    return PasswordResetOut(user=user_out(user), initial_password=password)


@router.get("/me", response_model=UserOut, tags=["users"], summary="The signed-in person")
async def me(session: SessionDep, principal: Self) -> UserOut:
    if principal.subject is None:
        raise NotSignedIn(
            "An API key is not a person: sign in to have an account.", detail_zh="API 密钥不是用户，请先登录。"
        )
    return user_out(await service.require_user(session, UUID(principal.subject)))


@router.put("/me/password", status_code=204, tags=["users"], summary="Change your own password")
async def change_password(
    body: PasswordChangeIn, request: Request, session: SessionDep, clock: ClockDep, principal: Self
) -> None:
    if principal.subject is None:
        raise NotSignedIn(
            "An API key has no password: sign in as a person.", detail_zh="API 密钥没有密码，请以用户身份登录。"
        )
    await service.change_own_password(
        session,
        clock=clock,
        settings=request.app.state.settings,
        actor=principal,
        current=body.current_password,
        new=body.new_password,
    )
