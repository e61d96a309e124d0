"""Request dependencies every noun's endpoints use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from arflow.auth import Principal, require_scope
from arflow.pagination import PageParams, page_params
from people.roles.defaults import SELF_SCOPE

Reader = Annotated[Principal, Depends(require_scope("people:read"))]
Admin = Annotated[Principal, Depends(require_scope("people:admin"))]
# Any signed-in user, on their own account.
Self = Annotated[Principal, Depends(require_scope(SELF_SCOPE))]
Paging = Annotated[PageParams, Depends(page_params)]
