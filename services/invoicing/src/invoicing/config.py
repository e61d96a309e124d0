"""Invoicing settings (ARFLOW_* environment variables)."""

from arflow.settings import ServiceSettings


class InvoicingSettings(ServiceSettings):
    pass
