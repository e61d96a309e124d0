"""Console settings (ARFLOW_* environment variables)."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("invoicing", "reconciliation", "dunning", "credit-scoring", "people")


class ConsoleSettings(BaseSettings):
    """The console owns no data: where the services are, how its cookie is sealed, how long a sign-in lasts."""

    model_config = SettingsConfigDict(env_prefix="ARFLOW_", extra="ignore")

    invoicing_url: str = Field(default="http://127.0.0.1:8001", description="Base URL of invoicing (console).")
    reconciliation_url: str = Field(
        default="http://127.0.0.1:8002", description="Base URL of reconciliation (console)."
    )
    dunning_url: str = Field(default="http://127.0.0.1:8003", description="Base URL of dunning (console).")
    credit_scoring_url: str = Field(
        default="http://127.0.0.1:8004", description="Base URL of credit-scoring (console)."
    )
    people_url: str = Field(default="http://127.0.0.1:8005", description="Base URL of people (console).")
    console_secret: str | None = Field(
        default=None, description="Secret the console's session cookie is encrypted with (inline, 32+ characters)."
    )
    console_secret_file: Path | None = Field(
        default=None,
        description="Path of that secret (`make run` makes var/keys/console-secret); without either, one per process.",
    )
    console_session_minutes: int = Field(
        default=480, ge=5, le=1440, description="How long a console sign-in lasts at most, however active."
    )
    console_secure_cookie: bool = Field(
        default=False, description="Mark the console's cookies Secure (set it when the console is served over HTTPS)."
    )
    log_level: str = "INFO"

    def service_url(self, service: str) -> str:
        urls = {
            "invoicing": self.invoicing_url,
            "reconciliation": self.reconciliation_url,
            "dunning": self.dunning_url,
            "credit-scoring": self.credit_scoring_url,
            "people": self.people_url,
        }
        return urls[service].rstrip("/")

    def secret(self) -> str:
        """The cookie secret; a process without one configured makes its own (sign-ins end when it stops)."""
        if self.console_secret:
            return self.console_secret
        if self.console_secret_file:
            return Path(self.console_secret_file).read_text().strip()
        return secrets.token_urlsafe(32)
