"""Dunning settings (ARFLOW_* environment variables).

The creditor letters and emails are from, and the account customers pay into, are the shared
ARFLOW_CREDITOR_* / ARFLOW_BANK_* settings (arflow.documents.creditor.CreditorSettings): while they
are not set, no letter is made and no customer email or SMS leaves (see README, "No creditor").
"""

from datetime import time
from decimal import Decimal

from pydantic import Field

from arflow.documents.creditor import CreditorSettings
from arflow.settings import ServiceSettings


class DunningSettings(ServiceSettings, CreditorSettings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = Field(
        default="ar@arflow.local", description="Address emails are from; the display name is the creditor's legal name."
    )
    smtp_timeout: float = Field(default=10.0, description="Seconds to connect and deliver one message.")
    smtp_username: str | None = None
    smtp_password: str | None = None
    email_poll_seconds: float = Field(default=0.5, description="How often the sender looks for due emails.")
    email_batch_size: int = Field(default=20, description="Emails the sender handles per pass.")
    email_max_attempts: int = Field(default=5, description="Attempts before an email action is marked failed.")
    email_retry_base_seconds: float = Field(default=60.0, description="First retry delay; it doubles on each failure.")
    sms_provider_url: str | None = Field(
        default=None,
        description="The SMS provider's HTTP endpoint (JSON POST {to, text, reference}); unset: SMS fails.",
    )
    sms_timeout: float = Field(default=10.0, description="Seconds for one SMS provider call.")
    sms_poll_seconds: float = Field(default=0.5, description="How often the sender looks for due SMS.")
    sms_batch_size: int = Field(default=20, description="SMS the sender handles per pass.")
    sms_max_attempts: int = Field(default=5, description="Attempts before an SMS action is marked failed.")
    sms_retry_base_seconds: float = Field(
        default=60.0, description="First SMS retry delay; it doubles on each failure."
    )
    quiet_hours_start: time = Field(
        default=time(21, 0), description="Local time from which no SMS or call task is made."
    )
    quiet_hours_end: time = Field(default=time(8, 0), description="Local time until which no SMS or call task is made.")
    min_contact_gap_hours: float = Field(default=48.0, description="Minimum hours between two contacts of one case.")
    min_dunning_amount: Decimal = Field(
        default=Decimal("10"), description="No step is taken for less overdue than this."
    )
    skip_weekends: bool = Field(default=False, description="Take no step on Saturdays and Sundays (customer's zone).")
    account_manager_email: str | None = Field(
        default=None, description="Where internal alerts go when the customer names no account manager."
    )
    reply_to: str | None = Field(
        default=None,
        description="Reply-To of every email to customers (the messages ask them to reply); unset: "
        "ARFLOW_ACCOUNT_MANAGER_EMAIL, else ARFLOW_SMTP_FROM.",
    )
    deliver_invoices: bool = Field(
        default=True,
        description="Send each issued invoice to the customer: an email with its PDF and link, or an SMS with the "
        "link where the customer prefers SMS.",
    )
    deliver_statements: bool = Field(
        default=True,
        description="Send each issued statement (对账单) to the customer to confirm or dispute: an email with its PDF "
        "and link, or an SMS with the link where the customer prefers SMS.",
    )
    delivery_max_age_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="An InvoiceIssued or StatementIssued whose issued_at is older than this by the clock is not "
        "delivered (a replay, a consumer catching up): no customer is sent an old document twice.",
    )
    document_fetch_timeout: float = Field(
        default=20.0, description="Seconds to fetch a document's PDF from its hosted page when sending it."
    )
    document_fetch_base_url: str | None = Field(
        default=None,
        description="Where dunning fetches a hosted page's PDF when that is not the link's public address (e.g. "
        "http://invoicing:8001 inside compose, the link's path kept); unset: the link as customers open it.",
    )
    metrics_refresh_seconds: float = Field(
        default=15.0, description="How often /metrics' business figures are re-read."
    )
