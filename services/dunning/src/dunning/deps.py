"""Request dependencies shared by every noun's endpoints, and the caller of work no request asked for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from arflow.auth import Principal, require_scope
from arflow.pagination import PageParams, page_params
from arflow.service import settings_of
from dunning.config import DunningSettings

Reader = Annotated[Principal, Depends(require_scope("dunning:read"))]
Writer = Annotated[Principal, Depends(require_scope("dunning:write"))]
Paging = Annotated[PageParams, Depends(page_params)]
Settings = Annotated[DunningSettings, Depends(settings_of)]

# Event handlers, jobs and the senders have no caller: they act as the service itself.
SYSTEM = Principal(name="system:dunning", scopes=frozenset())
