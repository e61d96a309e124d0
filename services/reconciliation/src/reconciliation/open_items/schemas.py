"""Response models of the open-item projection."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from arflow.money import DecimalString


class OpenItemOut(BaseModel):
    invoice_id: UUID
    customer_id: UUID
    invoice_number: str
    currency: str
    status: str
    issued: bool = Field(description="False while only later facts (paid, applied…) have arrived.")
    total: DecimalString | None
    balance: DecimalString = Field(description="The balance invoicing last reported (of the highest ledger version).")
    ledger_version: int | None = Field(
        None, description="Invoicing's ledger version of that balance; None while only unversioned facts arrived."
    )
    pending_allocations: DecimalString = Field(description="Allocated by payments invoicing has not applied yet.")
    available: DecimalString = Field(description="What a new payment may still be allocated.")
    invoice_date: date | None
    due_date: date | None
    payment_reference: str | None
    updated_at: datetime
