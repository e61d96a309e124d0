"""Request and response models of payment attempts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, field_validator

from arflow.i18n import Invalid
from arflow.money import DecimalString, to_minor_units
from reconciliation.checkout.orders import Checkout
from reconciliation.gateways.providers import Provider
from reconciliation.models import PaymentAttempt

# Alipay's out_trade_no: up to 64 letters, digits and underscores; WeChat Pay's: 6-32 letters, digits and
# _-|*; Stripe's ids: letters, digits and underscores. The intersection a person can also read aloud.
ORDER_ID_PATTERN = r"^[A-Za-z0-9_\-]{6,64}$"

AttemptStatus = Literal["open", "paid", "closed"]


class PaymentAttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Provider = Field(description="The gateway the order was made at.")
    invoice_id: UUID
    order_id: str | None = Field(
        None,
        pattern=ORDER_ID_PATTERN,
        description="The merchant order id the gateway's callback will carry (Alipay / WeChat Pay out_trade_no, "
        "a Stripe PaymentIntent id, the standard webhook's data.order_id). Omitted: arflow makes one.",
    )
    amount: DecimalString | None = Field(
        None, description="What the order asks for; omitted, the invoice's open balance. At most that balance."
    )
    expires_at: AwareDatetime | None = Field(None, description="When the order closes at the gateway, if it does.")
    checkout: Checkout | None = Field(
        None,
        description="Make the order at the gateway now (its keys configured): alipay_precreate (当面付 QR), "
        "alipay_page_pay (电脑网站支付), wechat_native (Native code_url QR) or stripe_checkout (a Checkout "
        "Session). The answer's pay_url is what the customer pays with. An open, unexpired order of the same "
        "kind for the same amount is answered instead of a second one. Omitted: the order was made elsewhere.",
    )
    return_url: HttpUrl | None = Field(
        None, description="Where the gateway's page sends the customer back (alipay_page_pay, stripe_checkout)."
    )

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise Invalid("must be greater than zero", "必须大于零")
        return value


class PaymentAttemptOut(BaseModel):
    id: UUID
    provider: Provider
    order_id: str
    invoice_id: UUID
    invoice_number: str
    customer_id: UUID
    amount: DecimalString
    currency: str
    status: AttemptStatus
    expires_at: datetime | None
    payment_id: UUID | None
    checkout: Checkout | None = None
    pay_url: str | None = Field(
        None, description="What the customer pays with: the QR code's text (qr_code, code_url) or the page to open."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime


def attempt_out(attempt: PaymentAttempt) -> PaymentAttemptOut:
    out = PaymentAttemptOut.model_validate(attempt, from_attributes=True)
    out.amount = to_minor_units(attempt.amount, attempt.currency)
    return out
