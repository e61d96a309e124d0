"""Reconciliation settings (ARFLOW_* environment variables)."""

from arflow.settings import ServiceSettings


class ReconciliationSettings(ServiceSettings):
    pass
