"""Credit-scoring settings (ARFLOW_* environment variables)."""

from arflow.settings import ServiceSettings


class CreditScoringSettings(ServiceSettings):
    pass
