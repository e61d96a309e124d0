"""Roles' use cases: what a role grants, set by an admin."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from people.models import Role
from people.roles import repository
from people.roles.defaults import unknown_scopes
from people.roles.errors import RoleNotFound, ScopeUnknown

log = structlog.get_logger("people")


async def require_role(session: AsyncSession, name: str, *, for_update: bool = False) -> Role:
    role = await repository.get_role(session, name, for_update=for_update)
    if role is None:
        raise RoleNotFound(f"There is no role '{name}'.", detail_zh=f"角色“{name}”不存在。")
    return role


async def set_scopes(session: AsyncSession, *, clock: Clock, name: str, scopes: list[str], actor: Principal) -> Role:
    """A role's scopes replaced; takes effect at each user's next sign-in or token refresh."""
    unknown = unknown_scopes(scopes)
    if unknown:
        listed = ", ".join(unknown)
        raise ScopeUnknown(
            f"No service checks the scope(s) {listed}; a role can grant only the scopes listed in the README.",
            detail_zh=f"没有服务检查权限范围 {listed}；角色只能授予 README 所列的权限范围。",
        )
    role = await require_role(session, name, for_update=True)
    before = list(role.scopes)
    role.scopes, role.updated_at, role.updated_by = sorted(set(scopes)), clock.now(), actor.name
    await session.flush()
    log.info("role.scopes_set", role=name, before=before, after=role.scopes, by=actor.name)
    return role
