"""Request and response models of disputes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from dunning.fields import Strict


class DisputeOut(BaseModel):
    dispute_id: UUID
    invoice_id: UUID
    case_id: UUID | None
    source: Literal["reconciliation", "dunning", "statement"] = Field(
        description="reconciliation: resolved there; dunning: a collector heard it; statement: the customer "
        "disputed a statement (resolved here, or by a later statement the customer confirms)."
    )
    statement_id: UUID | None = Field(default=None, description="The statement disputed (source statement).")
    reason: str | None
    opened_at: datetime | None
    opened_on: date | None
    resolved_at: datetime | None
    resolved_on: date | None
    resolved_by: str | None


class DisputeResolveIn(Strict):
    operator: str | None = Field(None, max_length=200, description="Who resolved it; defaults to the API key's name.")
