"""Invoicing settings (ARFLOW_* environment variables)."""

from typing import Literal

from pydantic import Field

from arflow.documents.creditor import CreditorSettings
from arflow.settings import ServiceSettings
from invoicing.customers.credit_hold import CreditHoldPolicy


class InvoicingSettings(ServiceSettings, CreditorSettings):
    """The service's own knobs, and the creditor its invoices and statements are from (CreditorSettings)."""

    auto_apply_credit: bool = Field(
        default=True, description="Apply a customer's unapplied credit to each invoice as it is issued."
    )
    late_fee_policy: Literal["on_request", "monthly"] = Field(
        default="on_request",
        description="monthly: the late-fee-assessment job charges overdue invoices' interest and fees once a month.",
    )
    credit_hold_policy: CreditHoldPolicy = Field(
        default="refuse",
        description="refuse: no invoice is issued or contract started or billed for a customer on credit hold "
        "(409 customer_on_credit_hold) without a credit manager's override; flag: they go ahead, marked.",
    )
    due_soon_days: int = Field(
        default=3, ge=0, le=60, description="Publish InvoiceDueSoon this many days before due (0: off)."
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Where customers reach invoicing's public pages: each invoice's hosted link is this + /i/<token>.",
    )
    hosted_page_requests_per_minute: int = Field(
        default=60, ge=1, description="Requests to /i/* one client address may make in a minute (then 429)."
    )
    # Paying on the hosted page: invoicing asks reconciliation (which owns the gateway orders and their
    # callbacks) to make the order; the money still arrives only by the gateway's verified callback.
    reconciliation_url: str = Field(
        default="http://127.0.0.1:8002", description="Base URL of reconciliation (the hosted page's orders)."
    )
    reconciliation_api_key: str | None = Field(
        default=None,
        description="The API key (reconciliation:read and :write) the hosted page makes payment orders with; "
        "unset: the page offers bank transfer only.",
    )
    hosted_checkout: str = Field(
        default="alipay_precreate,alipay_page_pay,wechat_native,stripe_checkout",
        description="The ways of paying online the hosted page offers, in order (comma-separated; each needs its "
        "gateway's keys at reconciliation).",
    )
    # The statement cycle (对账确认): each statement's page works this many days after the day it is issued.
    statement_link_days: int = Field(
        default=60, ge=1, le=400, description="Days a statement's hosted page works after the statement is issued."
    )
    statement_answer_days: int = Field(
        default=15,
        ge=1,
        le=365,
        description="A statement neither confirmed nor disputed within this many days of the day it was issued "
        "shows as unanswered (GET /statements?unanswered=true), for the finance team to follow up.",
    )
    statement_reply_max_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        le=50 * 1024 * 1024,
        description="The largest stamped reply (PDF, JPEG or PNG) a customer may upload with an answer.",
    )
