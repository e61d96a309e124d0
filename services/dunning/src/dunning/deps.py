"""Request dependencies shared by every noun's endpoints, and the caller of work no request asked for."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from arflow.auth import Principal, require_scope
from arflow.pagination import PageParams, page_params
from arflow.service import SessionDep, settings_of
from dunning.config import DunningSettings
from dunning.creditor.service import in_force

Reader = Annotated[Principal, Depends(require_scope("dunning:read"))]
Writer = Annotated[Principal, Depends(require_scope("dunning:write"))]
Admin = Annotated[Principal, Depends(require_scope("dunning:admin"))]
Paging = Annotated[PageParams, Depends(page_params)]


async def settings_in_force(session: SessionDep, settings: Annotated[DunningSettings, Depends(settings_of)]) -> Any:
    """The settings, with the creditor set through invoicing's API once it has arrived."""
    return await in_force(session, settings)


Settings = Annotated[DunningSettings, Depends(settings_in_force)]

# Event handlers, jobs and the senders have no caller: they act as the service itself.
SYSTEM = Principal(name="system:dunning", scopes=frozenset())
