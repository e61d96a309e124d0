"""Invoicing settings (ARFLOW_* environment variables)."""

from pydantic import Field

from arflow.settings import ServiceSettings


class InvoicingSettings(ServiceSettings):
    auto_apply_credit: bool = Field(
        True, description="Apply a customer's unapplied credit to each invoice as it is issued."
    )
    due_soon_days: int = Field(3, ge=0, le=60, description="Publish InvoiceDueSoon this many days before due (0: off).")
