"""Issued documents sent to their customer: queued from their event, resent on request. Never commits."""

from __future__ import annotations

from collections.abc import Callable
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
from arflow.events.catalog import InvoiceHostedLinkChanged, InvoiceIssued, StatementHostedLinkChanged, StatementIssued
from arflow.ids import uuid7
from dunning.actions.delivery import note_new_channels
from dunning.config import DunningSettings
from dunning.customers.repository import get_customer
from dunning.deliveries import repository, rules
from dunning.deliveries.errors import DeliveryAlreadyQueued, DeliveryNoRecipient, DeliveryNotFound
from dunning.models import Customer, CustomerDelivery

log = structlog.get_logger("dunning")
DEFAULT_TIME_ZONE = "Asia/Shanghai"
KIND_ZH = {"invoice": "账单", "statement": "对账单"}
DEFAULT_LANGUAGE = "zh-CN"


@dataclass(frozen=True)
class DeliveryPolicy:
    """What the settings say of sending documents on issue."""

    kinds: frozenset[str]  # the kinds of document sent on issue ("invoice", "statement")
    max_age: timedelta
    quiet_start: time
    quiet_end: time

    @classmethod
    def of(cls, settings: DunningSettings) -> DeliveryPolicy:
        kinds = {"invoice"} if settings.deliver_invoices else set()
        return cls(
            kinds=frozenset(kinds | ({"statement"} if settings.deliver_statements else set())),
            max_age=timedelta(days=settings.delivery_max_age_days),
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


def statement_details(event: StatementIssued, customer: Customer | None) -> dict[str, Any]:
    """What the statement's message says, fixed from StatementIssued (its link travels only here)."""
    return {
        "customer_name": customer.legal_name if customer else None,
        "time_zone": customer.time_zone if customer else DEFAULT_TIME_ZONE,
        "number": event.statement_number,
        "period_start": event.period_start.isoformat(),
        "period_end": event.period_end.isoformat(),
        "balances": [
            # `owed`: the customer owes it (a credit balance is not written in 大写 as a debt)
            {
                "currency": b.currency,
                "closing_balance": format(b.closing_balance.amount, "f"),
                "owed": b.closing_balance.amount > 0,
            }
            for b in event.balances
        ],
        "hosted_url": event.hosted_statement_url,
        "link_expires_on": event.link_expires_on.isoformat() if event.link_expires_on else None,
    }


async def queue_invoice(session: AsyncSession, *, clock: Clock, policy: DeliveryPolicy, event: InvoiceIssued) -> bool:
    """Queue the issued invoice for its customer (the customer read, one statement); True when queued."""
    return await _queue(
        session,
        clock=clock,
        policy=policy,
        kind="invoice",
        document_id=event.invoice_id,
        number=event.invoice_number,
        customer_id=event.customer_id,
        issued_at=event.issued_at,
        details=lambda customer: invoice_details(event, customer),
    )


async def queue_statement(
    session: AsyncSession, *, clock: Clock, policy: DeliveryPolicy, event: StatementIssued
) -> bool:
    """Queue the issued statement for its customer, to confirm or dispute on its page; True when queued."""
    if not event.hosted_statement_url:  # nothing to answer on: invoicing made no page for it
        log.info("delivery.no_page", statement_id=str(event.statement_id))
        return False
    return await _queue(
        session,
        clock=clock,
        policy=policy,
        kind="statement",
        document_id=event.statement_id,
        number=event.statement_number,
        customer_id=event.customer_id,
        issued_at=event.issued_at,
        details=lambda customer: statement_details(event, customer),
    )


async def _queue(
    session: AsyncSession,
    *,
    clock: Clock,
    policy: DeliveryPolicy,
    kind: str,
    document_id: UUID,
    number: str,
    customer_id: UUID,
    issued_at: datetime,
    details: Callable[[Customer | None], dict[str, Any]],
) -> bool:
    """Queue a document for its customer, unless sending it on issue is off, it was issued longer ago than the
    policy allows (a replay), or it already has a delivery (a duplicate)."""
    bound = log.bind(kind=kind, document_id=str(document_id), customer_id=str(customer_id))
    now = clock.now()
    if kind not in policy.kinds:
        return False
    if rules.too_old(issued_at, now, policy.max_age):
        bound.info("delivery.too_old", issued_at=issued_at.isoformat())
        return False
    customer = await get_customer(session, customer_id)
    time_zone = customer.time_zone if customer else DEFAULT_TIME_ZONE
    values = {
        "id": uuid7(),
        "kind": kind,
        "document_id": document_id,
        "document_number": number,
        "customer_id": customer_id,
        "details": details(customer),
        "attempts": 0,
        "last_error": None,
        "resends": 0,
        "issued_at": issued_at,
        "issued_on": local_date(issued_at, time_zone),
        "created_at": now,
        "updated_at": now,
        **addressing(customer, now=now, policy=policy),
    }
    inserted = await repository.queue_delivery(session, values)
    if inserted and values["status"] == "queued":
        note_new_channels(session, {values["channel"]})  # the commit wakes that channel's sender only
    bound.info("delivery.queued" if inserted else "delivery.duplicate", status=values["status"])
    return inserted


async def queue_link_renewal(
    session: AsyncSession,
    *,
    clock: Clock,
    policy: DeliveryPolicy,
    event: InvoiceHostedLinkChanged | StatementHostedLinkChanged,
) -> bool:
    """Queue the email of a link the customer asked for on a dead page, to the address on file that asked; True
    when queued. One per request (its renewal id); none for an event that is not a renewal, or a replay."""
    if event.reason != "renewed" or not event.send_to_email or event.renewal_id is None:
        return False
    if isinstance(event, InvoiceHostedLinkChanged):
        kind, document_id, number, url = "invoice", event.invoice_id, event.invoice_number, event.hosted_invoice_url
    else:
        kind, document_id, number, url = (
            "statement",
            event.statement_id,
            event.statement_number,
            event.hosted_statement_url,
        )
    bound = log.bind(kind=kind, document_id=str(document_id), renewal_id=str(event.renewal_id))
    now = clock.now()
    if url is None or rules.too_old(event.changed_at, now, policy.max_age):
        bound.info("delivery.renewal_not_sent", too_old=url is not None)
        return False
    customer = await get_customer(session, event.customer_id)
    time_zone = customer.time_zone if customer else DEFAULT_TIME_ZONE
    language = rules.language_of(
        event.send_to_email, customer.contacts if customer else [], event.language or DEFAULT_LANGUAGE
    )
    values = {
        "id": event.renewal_id,
        "kind": kind,
        "purpose": "link_renewal",
        "document_id": document_id,
        "document_number": number or "",
        "customer_id": event.customer_id,
        "channel": "email",  # the address typed on the page, which is on file: the one that asked
        "recipient": event.send_to_email,
        "language": language,
        "details": {
            "customer_name": customer.legal_name if customer else None,
            "time_zone": time_zone,
            "number": number,
            "hosted_url": url,
            "link_expires_on": event.link_expires_on.isoformat() if event.link_expires_on else None,
        },
        "status": "queued",
        "attempts": 0,
        "last_error": None,
        "resends": 0,
        "next_attempt_at": now,
        "issued_at": event.changed_at,
        "issued_on": local_date(event.changed_at, time_zone),
        "created_at": now,
        "updated_at": now,
    }
    inserted = await repository.queue_renewal(session, values)
    if inserted:
        note_new_channels(session, {"email"})
    bound.info("delivery.renewal_queued" if inserted else "delivery.duplicate")
    return inserted


async def follow_statement_link(session: AsyncSession, *, clock: Clock, event: StatementHostedLinkChanged) -> None:
    """A statement's deliveries on issue link its page in force: a rotation's or renewal's link, none once revoked."""
    await repository.follow_statement_link(session, event.statement_id, event.hosted_statement_url, clock.now())


async def wake_waiting(session: AsyncSession, *, clock: Clock, customer_id: UUID) -> int:
    """The customer is known now: its deliveries that waited to be addressed are due at once (not at their retry)."""
    channels = await repository.wake_waiting(session, customer_id, clock.now())
    if channels:
        note_new_channels(session, channels)
        log.info("delivery.woken", customer_id=str(customer_id), channels=sorted(channels))
    return len(channels)


async def require_delivery(
    session: AsyncSession, delivery_id: UUID, *, kind: str, for_update: bool = False
) -> CustomerDelivery:
    found = await repository.get_delivery(session, delivery_id, kind=kind, for_update=for_update)
    if found is None:
        raise DeliveryNotFound(
            f"There is no {kind} delivery {delivery_id}.", detail_zh=f"不存在{KIND_ZH[kind]}发送记录 {delivery_id}。"
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
    if customer is not None and delivery.purpose == "link_renewal":
        # a renewed link goes again to the address that asked for it, while it is still on file
        addressee = rules.asker_on_file(delivery.recipient, customer.contacts, delivery.language)
    elif customer is not None:
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
