"""Request dependencies shared by every noun's endpoints, and the caller of work no request asked for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from arflow.auth import Principal, require_scope
from arflow.pagination import PageParams, page_params

Reader = Annotated[Principal, Depends(require_scope("invoicing:read"))]
Writer = Annotated[Principal, Depends(require_scope("invoicing:write"))]
Admin = Annotated[Principal, Depends(require_scope("invoicing:admin"))]
Paging = Annotated[PageParams, Depends(page_params)]

# Event handlers and jobs have no caller: they act as the service itself.
SYSTEM = Principal(name="system:invoicing", scopes=frozenset())
