"""Dunning settings (ARFLOW_* environment variables)."""

from pydantic import Field

from arflow.settings import ServiceSettings


class DunningSettings(ServiceSettings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "ar@arflow.local"
    smtp_timeout: float = Field(10.0, description="Seconds to connect and deliver one message.")
    smtp_username: str | None = None
    smtp_password: str | None = None
    email_poll_seconds: float = Field(0.5, description="How often the sender looks for due emails.")
    email_batch_size: int = Field(20, description="Emails the sender handles per pass.")
    email_max_attempts: int = Field(5, description="Attempts before an email action is marked failed.")
    email_retry_base_seconds: float = Field(60.0, description="First retry delay; it doubles on each failure.")
