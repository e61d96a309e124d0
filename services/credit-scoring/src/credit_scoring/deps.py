"""Request annotations every noun's endpoints share, and the caller of work no request asked for."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from arflow.auth import Principal, require_scope
from arflow.clock import DEFAULT_TIME_ZONE
from arflow.pagination import PageParams, page_params

Reader = Annotated[Principal, Depends(require_scope("credit-scoring:read"))]
Writer = Annotated[Principal, Depends(require_scope("credit-scoring:write"))]
Paging = Annotated[PageParams, Depends(page_params)]
AsOf = Annotated[
    date | None,
    Query(
        description=f"Build the file from what was known on this date (YYYY-MM-DD); default today, {DEFAULT_TIME_ZONE}."
    ),
]

# The actor of event handlers and scheduled jobs: nobody called them.
SYSTEM = Principal(name="system:credit-scoring", scopes=frozenset())
