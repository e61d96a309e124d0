"""REST endpoints of roles (thin)."""

from __future__ import annotations

from fastapi import APIRouter

from arflow.service import ClockDep, SessionDep
from people.deps import Admin, Reader
from people.roles import repository, service
from people.roles.schemas import RoleOut, RoleScopesIn

router = APIRouter()


@router.get("/roles", response_model=list[RoleOut], tags=["roles"], summary="The roles and the scopes each grants")
async def list_roles(session: SessionDep, _: Reader) -> list[RoleOut]:
    return [RoleOut.model_validate(r, from_attributes=True) for r in await repository.all_roles(session)]


@router.put("/roles/{name}", response_model=RoleOut, tags=["roles"], summary="Set the scopes a role grants")
async def set_role_scopes(
    name: str, body: RoleScopesIn, session: SessionDep, clock: ClockDep, principal: Admin
) -> RoleOut:
    role = await service.set_scopes(session, clock=clock, name=name, scopes=body.scopes, actor=principal)
    return RoleOut.model_validate(role, from_attributes=True)
