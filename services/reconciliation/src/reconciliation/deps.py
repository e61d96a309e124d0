"""Request dependencies every noun's endpoints use, and the caller of work nobody asked for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from arflow.auth import Principal, require_scope
from arflow.pagination import PageParams, page_params

Reader = Annotated[Principal, Depends(require_scope("reconciliation:read"))]
Writer = Annotated[Principal, Depends(require_scope("reconciliation:write"))]
Paging = Annotated[PageParams, Depends(page_params)]

# The caller of what events and the import worker change: no person, no API key.
SYSTEM = Principal(name="system:reconciliation", scopes=frozenset())
