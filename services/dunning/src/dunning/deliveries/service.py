"""Issued documents sent to their customer: queued from their event, resent on request. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import audit
from arflow.auth import Principal
from arflow.clock import Clock, local_date
from arflow.events.catalog import InvoiceIssued
from arflow.ids import uuid7
from dunning.actions.delivery import note_new_channels
from dunning.config import DunningSettings
from dunning.customers.repository import get_customer
from dunning.deliveries import repository, rules
from dunning.deliveries.errors import DeliveryAlreadyQueued, DeliveryNoRecipient, DeliveryNotFound
from dunning.models import Customer, CustomerDelivery

log = structlog.get_logger("dunning")
DEFAULT_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class DeliveryPolicy:
    """What the settings say of sending documents on issue."""

    enabled: bool
    max_age: timedelta
    quiet_start: time
    quiet_end: time

    @classmethod
    def of(cls, settings: DunningSettings) -> DeliveryPolicy:
        return cls(
            enabled=settings.deliver_invoices,
            max_age=timedelta(days=settings.invoice_delivery_max_age_days),
            quiet_start=settings.quiet_hours_start,
            quiet_end=settings.quiet_hours_end,
        )


def invoice_details(event: InvoiceIssued, customer: Customer | None) -> dict[str, Any]:
    """What the invoice's message says, fixed from InvoiceIssued (the archived record of what was sent)."""
    return {
        "customer_name": customer.legal_name if customer else None,
        "time_zone": customer.time_zone if customer else DEFAULT_TIME_ZONE,
        "number": event.invoice_number,
        "currency": event.currency,
        "subtotal": format(event.subtotal.amount, "f"),
        "tax_total": format(event.tax_total.amount, "f"),
        "total": format(event.total.amount, "f"),
        "invoice_date": event.invoice_date.isoformat(),
        "due_date": event.due_date.isoformat(),
        "payment_reference": event.payment_reference,
    }


def addressing(customer: Customer | None, *, now: datetime, policy: DeliveryPolicy) -> dict[str, Any]:
    """The channel, recipient, status and first attempt of a document for `customer` as known now."""
    if customer is None:  # not known yet: queued as an email, addressed by the sender once it is
        return {"channel": "email", "recipient": None, "language": None, "status": "queued", "next_attempt_at": now}
    addressee = rules.choose_addressee(customer.contacts, customer.preferred_language)
    if addressee is None:
        return {
            "channel": "email",
            "recipient": None,
            "language": rules.customer_language(customer.preferred_language),
            "status": "skipped",
            "next_attempt_at": None,
            "last_error": "no_recipient: the customer has no contact with an email address or a phone",
        }
    first = now
    if addressee.channel == "sms":
        ends = rules.quiet_until(now.astimezone(ZoneInfo(customer.time_zone)), policy.quiet_start, policy.quiet_end)
        first = ends.astimezone(UTC) if ends is not None else now
    return {
        "channel": addressee.channel,
        "recipient": addressee.recipient,
        "language": addressee.language,
        "status": "queued",
        "next_attempt_at": first,
    }


async def queue_invoice(session: AsyncSession, *, clock: Clock, policy: DeliveryPolicy, event: InvoiceIssued) -> bool:
    """Queue the issued invoice for its customer (one statement, and the customer read); True when queued.

    Nothing when sending on issue is off, when the invoice was issued longer ago than the rules allow (a
    replay), or when the invoice already has a delivery (a duplicate).
    """
    bound = log.bind(invoice_id=str(event.invoice_id), customer_id=str(event.customer_id))
    now = clock.now()
    if not policy.enabled:
        return False
    if rules.too_old(event.issued_at, now, policy.max_age):
        bound.info("delivery.too_old", issued_at=event.issued_at.isoformat())
        return False
    customer = await get_customer(session, event.customer_id)
    time_zone = customer.time_zone if customer else DEFAULT_TIME_ZONE
    values = {
        "id": uuid7(),
        "kind": "invoice",
        "document_id": event.invoice_id,
        "document_number": event.invoice_number,
        "customer_id": event.customer_id,
        "details": invoice_details(event, customer),
        "attempts": 0,
        "last_error": None,
        "resends": 0,
        "issued_at": event.issued_at,
        "issued_on": local_date(event.issued_at, time_zone),
        "created_at": now,
        "updated_at": now,
        **addressing(customer, now=now, policy=policy),
    }
    inserted = await repository.queue_delivery(session, values)
    if inserted and values["status"] == "queued":
        note_new_channels(session, {values["channel"]})  # the commit wakes that channel's sender only
    bound.info("delivery.queued" if inserted else "delivery.duplicate", status=values["status"])
    return inserted


async def require_delivery(
    session: AsyncSession, delivery_id: UUID, *, kind: str, for_update: bool = False
) -> CustomerDelivery:
    found = await repository.get_delivery(session, delivery_id, kind=kind, for_update=for_update)
    if found is None:
        raise DeliveryNotFound(
            f"There is no {kind} delivery {delivery_id}.", detail_zh=f"不存在发送记录 {delivery_id}。"
        )
    return found


async def resend(
    session: AsyncSession,
    *,
    clock: Clock,
    actor: Principal,
    delivery: CustomerDelivery,
    reason: str | None,
) -> CustomerDelivery:
    """Queue a delivery again on its channel, to the contact on file now, whatever the document's state."""
    if delivery.status == "queued":
        raise DeliveryAlreadyQueued(
            f"Delivery {delivery.id} is queued already (attempts so far: {delivery.attempts}).",
            detail_zh=f"发送记录 {delivery.id} 已在发送队列中。",
        )
    customer = await get_customer(session, delivery.customer_id)
    addressee = None
    if customer is not None:
        addressee = rules.addressee_on(delivery.channel, customer.contacts, customer.preferred_language)  # type: ignore[arg-type]
    if customer is None or addressee is None:
        what = "an email address" if delivery.channel == "email" else "a phone number"
        raise DeliveryNoRecipient(
            f"The customer has no contact with {what} on file: correct the contacts in invoicing, then resend.",
            detail_zh="客户没有可用的"
            + ("邮箱" if delivery.channel == "email" else "手机号")
            + "，请先在开票服务中更新联系人后再重发。",
        )
    now = clock.now()
    audit.set_reason("resend", reason)
    delivery.recipient, delivery.language = addressee.recipient, addressee.language
    delivery.details = {**delivery.details, "customer_name": customer.legal_name, "time_zone": customer.time_zone}
    delivery.status, delivery.attempts, delivery.last_error = "queued", 0, None
    delivery.next_attempt_at, delivery.updated_at = now, now
    delivery.resends += 1
    note_new_channels(session, {delivery.channel})
    log.info("delivery.resend", delivery_id=str(delivery.id), by=actor.name, resends=delivery.resends)
    return delivery
