"""A new link asked for on a dead page (`POST /i/{token}`, `POST /s/{token}`) with the email on file. Never commits.

A matched request mints the document a fresh link in the same transaction (expiring 30 days from today at the
earliest) and publishes it through the outbox with the address that matched, as it is on file: dunning emails
the link there, once (InvoiceHostedLinkChanged / StatementHostedLinkChanged, reason "renewed"). Whatever
happens, the page answers the same, so nothing tells what is on file. Every request is kept
(hosted_link_renewal / statement_link_renewal), never the address typed, with what came of it:

- `renewed`: a new link was made and sent;
- `refused`: the address is not on file, the token never was (or was rotated away), the link was revoked (stopped
  on purpose), still works, or its document has no page (void);
- `throttled`: the address matched, but the document's link was renewed less than RENEWAL_INTERVAL ago: the
  form cannot be used to flood a customer's mailbox.

A renewal's old token stops working with the mint, so a dead link renews once; the interval also holds two
requests racing on one link (the document's row is locked first).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from uuid import UUID

import structlog
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from arflow import audit
from arflow.clock import Clock, local_date
from arflow.events.catalog import InvoiceHostedLinkChanged, Language, StatementHostedLinkChanged
from arflow.ids import uuid7
from arflow.messaging import outbox
from invoicing.hosted import links
from invoicing.lookups import require_customer, require_invoice
from invoicing.models import HostedLinkRenewal
from invoicing.statements import links as statement_links
from invoicing.statements import repository as statements
from invoicing.statements.models import StatementLinkRenewal

log = structlog.get_logger("invoicing")
ISSUED = ("open", "paid", "uncollectible")
Outcome = Literal["renewed", "refused", "throttled"]


def _language(language: str) -> Language | None:
    """The page's language, for the email (dunning writes in the contact's own when it knows one)."""
    return "en" if language == "en" else "zh-CN" if language == "zh-CN" else None


async def renew_invoice_link(session: AsyncSession, *, clock: Clock, token: str, email: str, language: str) -> Outcome:
    """Answer a renewal asked on an invoice's dead page; the request is kept whatever comes of it."""
    renewal_id, now = uuid7(), clock.now()
    outcome: Outcome = "refused"
    invoice_id: UUID | None = None
    link = await links.expired_link(session, token)
    if link is not None and link.revoked_at is None:  # a revoked link was stopped on purpose: not renewed
        invoice = await require_invoice(session, link.invoice_id, for_update=True)
        customer = await require_customer(session, invoice.customer_id)
        address = links.contact_email(customer.contacts, email)
        today = local_date(now, customer.time_zone)
        if address is not None:
            invoice_id = invoice.id
            if invoice.status not in ISSUED or today <= link.expires_on:
                outcome = "refused"  # no page to renew (void), or the link typed still opens it
            elif await _renewed_lately(session, HostedLinkRenewal, HostedLinkRenewal.invoice_id, invoice.id, clock):
                outcome = "throttled"
            else:
                expires_on = max(links.expiry_for(invoice.due_date), today + links.RENEWED_FOR)
                url = await links.mint(
                    session, invoice_id=invoice.id, due_date=invoice.due_date, clock=clock, expires_on=expires_on
                )
                changed = InvoiceHostedLinkChanged(
                    customer_id=invoice.customer_id,
                    invoice_id=invoice.id,
                    invoice_number=invoice.number,
                    hosted_invoice_url=url,
                    link_expires_on=expires_on,
                    reason="renewed",
                    send_to_email=address,
                    language=_language(language),
                    renewal_id=renewal_id,
                    changed_at=now,
                )
                await outbox.add(session, changed, clock=clock)
                await _audit_renewed(session, "invoice", invoice.id, expires_on)
                outcome = "renewed"
    session.add(
        HostedLinkRenewal(
            id=renewal_id,
            token_sha256=links.token_hash(token),
            invoice_id=invoice_id,
            email_matched=invoice_id is not None,
            status=outcome,
            requested_at=now,
        )
    )
    # Its audit entry is the row (the ORM's), which names the renewal and the token's hash, never the address typed.
    log.info("hosted_link.renewal", outcome=outcome, invoice_id=str(invoice_id) if invoice_id else None)
    return outcome


async def renew_statement_link(
    session: AsyncSession, *, clock: Clock, token: str, email: str, language: str, link_days: int
) -> Outcome:
    """Answer a renewal asked on a statement's dead page; the new link works `link_days` (at least 30) from today."""
    renewal_id, now = uuid7(), clock.now()
    outcome: Outcome = "refused"
    statement_id: UUID | None = None
    link = await statement_links.link_by_token(session, token)
    if link is not None and link.revoked_at is None:
        statement = await statements.get_statement(session, link.statement_id, for_update=True)
        assert statement is not None  # (a link's statement is never deleted)
        customer = await require_customer(session, statement.customer_id)
        address = links.contact_email(customer.contacts, email)
        today = local_date(now, customer.time_zone)
        if address is not None:
            statement_id = statement.id
            if today <= link.expires_on:
                outcome = "refused"  # the link typed still opens the page
            elif await _renewed_lately(
                session, StatementLinkRenewal, StatementLinkRenewal.statement_id, statement.id, clock
            ):
                outcome = "throttled"
            else:
                expires_on = today + max(links.RENEWED_FOR, timedelta(days=link_days))
                url = await statement_links.mint(session, statement_id=statement.id, expires_on=expires_on, clock=clock)
                changed = StatementHostedLinkChanged(
                    customer_id=statement.customer_id,
                    statement_id=statement.id,
                    statement_number=statement.number,
                    hosted_statement_url=url,
                    link_expires_on=expires_on,
                    reason="renewed",
                    send_to_email=address,
                    language=_language(language),
                    renewal_id=renewal_id,
                    changed_at=now,
                )
                await outbox.add(session, changed, clock=clock)
                await _audit_renewed(session, "statement", statement.id, expires_on)
                outcome = "renewed"
    session.add(
        StatementLinkRenewal(
            id=renewal_id,
            token_sha256=links.token_hash(token),
            statement_id=statement_id,
            email_matched=statement_id is not None,
            status=outcome,
            requested_at=now,
        )
    )
    log.info("statement_link.renewal", outcome=outcome, statement_id=str(statement_id) if statement_id else None)
    return outcome


async def _renewed_lately(
    session: AsyncSession,
    table: type[HostedLinkRenewal] | type[StatementLinkRenewal],
    document: InstrumentedAttribute[UUID | None],
    document_id: UUID,
    clock: Clock,
) -> bool:
    """Whether the document's link was renewed less than RENEWAL_INTERVAL ago."""
    since = clock.now() - links.RENEWAL_INTERVAL
    query = select(exists().where(document == document_id, table.status == "renewed", table.requested_at > since))
    return bool(await session.scalar(query))


async def _audit_renewed(session: AsyncSession, object_type: str, object_id: UUID, expires_on: date) -> None:
    await audit.record(
        session,
        action=f"{'hosted' if object_type == 'invoice' else 'statement'}_link.renewed",
        object_type=object_type,
        object_id=object_id,
        after={"expires_on": expires_on},
    )
