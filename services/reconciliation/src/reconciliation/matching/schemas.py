"""Request and response models of the learned payer mappings."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class PayerMappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payer_account: str = Field(min_length=1, max_length=100)
    customer_id: UUID
    payer_name: str | None = Field(None, max_length=300)


class PayerMappingOut(BaseModel):
    id: UUID
    account_key: str
    customer_id: UUID
    payer_name: str | None
    confirmations: int
    learned_from_payment_id: UUID | None
    created_at: datetime
    updated_at: datetime
