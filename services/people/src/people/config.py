"""People settings (ARFLOW_* environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from arflow.settings import ServiceSettings


class PeopleSettings(ServiceSettings):
    token_private_key: str | None = Field(
        default=None, description="PEM Ed25519 private key sign-in tokens are signed with (inline); people only."
    )
    token_private_key_file: Path | None = Field(
        default=None,
        description="Path of that private key (`make run` makes one under ./var/keys); people only, never shared.",
    )
    access_token_minutes: int = Field(
        default=15, ge=1, le=60, description="How long a sign-in token lives; refreshed with the refresh token."
    )
    session_hours: int = Field(
        default=12, ge=1, le=720, description="How long a session lasts at most, however often it is refreshed."
    )
    password_min_length: int = Field(default=12, ge=8, le=64, description="Shortest password accepted.")
    lockout_threshold: int = Field(
        default=5, ge=1, le=100, description="Failed sign-ins in a row after which the account is locked."
    )
    lockout_minutes: int = Field(default=15, ge=1, le=1440, description="How long a locked account stays locked.")
    # Approval notices go out through the same SMTP server as dunning's email (the same ARFLOW_SMTP_* settings).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = Field(default="ar@arflow.local", description="Address emails are from.")
    smtp_timeout: float = Field(default=10.0, description="Seconds to connect and deliver one message.")
    smtp_username: str | None = None
    smtp_password: str | None = None
    console_approvals_url: str = Field(
        default="http://127.0.0.1:8000/approvals",
        description="The console's approvals inbox, linked from every approval notice (?approval=<id> added).",
    )
    notice_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the approval-notice sender looks for due emails (also woken)."
    )
    notice_batch_size: int = Field(default=20, ge=1, description="Approval notices the sender handles per pass.")
    notice_max_attempts: int = Field(
        default=5, ge=1, description="Attempts before an approval notice is marked failed."
    )
    notice_retry_base_seconds: float = Field(
        default=60.0, gt=0, description="First approval-notice retry delay; it doubles on each failure."
    )

    def private_key_pem(self) -> str | None:
        if self.token_private_key:
            return self.token_private_key
        return Path(self.token_private_key_file).read_text() if self.token_private_key_file else None
