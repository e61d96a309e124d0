"""Dunning settings (ARFLOW_* environment variables)."""

from datetime import time
from decimal import Decimal

from pydantic import Field

from arflow.settings import ServiceSettings


class DunningSettings(ServiceSettings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "ar@arflow.local"
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
    late_interest_daily_rate: Decimal = Field(
        default=Decimal("0.0005"), description="Daily late interest shown on reminders (每日万分之五 by default)."
    )
    creditor_name: str = Field(default="arflow 代理记账有限公司", description="Who the letters are from.")
    bank_name: str = Field(default="中国工商银行上海分行", description="Bank of the account customers pay into.")
    bank_account_name: str = Field(default="arflow 代理记账有限公司", description="Holder of that account.")
    bank_account_number: str = Field(default="1001 2345 6789 0123 456", description="The account customers pay into.")
    account_manager_email: str | None = Field(
        default=None, description="Where internal alerts go when the customer names no account manager."
    )
    metrics_refresh_seconds: float = Field(
        default=15.0, description="How often /metrics' business figures are re-read."
    )
