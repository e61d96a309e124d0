"""Hosted-invoice links: a random token per issued invoice, of which only the SHA-256 is kept.

The token is 128 bits from `secrets.token_urlsafe` (22 characters: the issue's minimum, and short enough for
an SMS; links made before were 256 bits, 43 characters, and still work, being found by their hash). Only its
SHA-256 is stored, so the
link exists in clear only where it was handed out: the answer of the call that made it (issuing, or a
rotation), the InvoiceIssued it is carried on (dunning links it in every email) and the PDF drawn for
that answer. A database reader learns no working link. The token is found by the hash (a unique index)
and the hash compared again in constant time; whatever fails - unknown, expired, revoked - answers
None, one answer for all.

Imported by invoices (an issued invoice gets its link); imports only the root modules.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from invoicing.models import Customer, HostedInvoiceLink, Invoice

TOKEN_BYTES = 16  # 128 bits, the minimum: a 22-character token keeps the SMS with the link short
EXPIRES_AFTER_DUE = timedelta(days=30)  # Stripe: a hosted invoice page expires 30 days after the due date
RENEWED_FOR = timedelta(days=30)
# A renewal emails the customer at most once per link this often, whatever is typed how many times on the dead page.
RENEWAL_INTERVAL = timedelta(hours=1)
DEFAULT_BASE_URL = "http://127.0.0.1:8001"
# The links minted in a transaction, by invoice: what its answer shows (session.info, gone with the session).
MINTED = "invoicing.hosted_links"

_base_url = DEFAULT_BASE_URL


def configure(base_url: str) -> None:
    """Set where customers reach the pages (ARFLOW_PUBLIC_BASE_URL): one per deployment, set by create_app."""
    global _base_url
    _base_url = base_url.rstrip("/")


def url_of(token: str) -> str:
    """The link customers open."""
    return public_url(f"/i/{token}")


def public_url(path: str) -> str:
    """An address of the public pages (the statement pages' links are made with it too)."""
    return f"{_base_url}{path}"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


def expiry_for(due_date: date, *, minted_on: date | None = None) -> date:
    """The last day the link works: 30 days after the due date, and never less than 30 days after it was made
    (an invoice issued back-dated, already due, still reaches its customer with a page that opens)."""
    latest = due_date + EXPIRES_AFTER_DUE
    return latest if minted_on is None else max(latest, minted_on + RENEWED_FOR)


@dataclass(frozen=True)
class HostedLink:
    """A link that works: the invoice it opens and the row (for its views)."""

    invoice_id: UUID
    expires_on: date


async def mint(
    session: AsyncSession, *, invoice_id: UUID, due_date: date, clock: Clock, expires_on: date | None = None
) -> str:
    """Give an invoice a new link (a first one, or in place of the one it had): the old token stops working.

    Returns the URL; it is kept in the session's info so the answer of this transaction can show it.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    values = {
        "invoice_id": invoice_id,
        "token_sha256": token_hash(token),
        "expires_on": expires_on or expiry_for(due_date, minted_on=now.date()),
        "created_at": now,
    }
    statement = insert(HostedInvoiceLink).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[HostedInvoiceLink.invoice_id],
        set_={
            "token_sha256": statement.excluded.token_sha256,
            "expires_on": statement.excluded.expires_on,
            "rotated_at": now,
            "revoked_at": None,
        },
    )
    await session.execute(statement)
    url = url_of(token)
    session.info.setdefault(MINTED, {})[invoice_id] = url
    return url


def minted_url(session: AsyncSession, invoice_id: UUID) -> str | None:
    """The link made for the invoice in this transaction, if one was (else it cannot be known)."""
    urls: dict[UUID, str] = session.info.get(MINTED, {})
    return urls.get(invoice_id)


async def revoke(session: AsyncSession, *, invoice_id: UUID, clock: Clock) -> bool:
    """Stop the invoice's link from working; False when it had none."""
    result = await session.execute(
        update(HostedInvoiceLink)
        .where(HostedInvoiceLink.invoice_id == invoice_id)
        .values(revoked_at=clock.now())
        .returning(HostedInvoiceLink.invoice_id)
    )
    session.info.get(MINTED, {}).pop(invoice_id, None)
    return result.first() is not None


async def link_of(session: AsyncSession, invoice_id: UUID) -> HostedInvoiceLink | None:
    return await session.get(HostedInvoiceLink, invoice_id)


async def resolve(session: AsyncSession, token: str, *, clock: Clock) -> HostedLink | None:
    """The link a token opens, or None for any token that does not work (unknown, expired, revoked)."""
    if not 20 <= len(token) <= 100:
        # Still hash and compare, so a short token costs what a long one does.
        hmac.compare_digest(token_hash(token), bytes(32))
        return None
    digest = token_hash(token)
    row = (
        await session.execute(
            select(HostedInvoiceLink, Invoice.status, Customer.time_zone)
            .join(Invoice, Invoice.id == HostedInvoiceLink.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(HostedInvoiceLink.token_sha256 == digest)
        )
    ).first()
    stored = row[0].token_sha256 if row else bytes(32)
    matches = hmac.compare_digest(stored, digest)
    if row is None or not matches:
        return None
    link: HostedInvoiceLink = row[0]
    if link.revoked_at is not None or row[1] in ("draft", "void"):
        return None
    if local_date(clock.now(), row[2]) > link.expires_on:  # the last day is the customer's whole day
        return None
    return HostedLink(invoice_id=link.invoice_id, expires_on=link.expires_on)


async def record_view(session: AsyncSession, invoice_id: UUID, *, at: datetime) -> None:
    """Count one view of the page (its PDF is not counted: dunning fetches it to attach, nobody looked)."""
    await session.execute(
        update(HostedInvoiceLink)
        .where(HostedInvoiceLink.invoice_id == invoice_id)
        .values(view_count=HostedInvoiceLink.view_count + 1, last_viewed_at=at)
    )


def email_on_file(contacts: list[dict[str, Any]], email: str) -> bool:
    """Whether an address typed on a dead page is one of the customer's contacts' (case and spaces aside)."""
    return contact_email(contacts, email) is not None


def contact_email(contacts: list[dict[str, Any]], email: str) -> str | None:
    """The contact's address, as on file, that an address typed on a dead page is (case and spaces aside)."""
    typed = email.strip().lower()
    for contact in contacts:
        on_file = str(contact.get("email") or "").strip()
        if on_file and on_file.lower() == typed:
            return on_file
    return None


async def expired_link(session: AsyncSession, token: str) -> HostedInvoiceLink | None:
    """The row of a token that exists, whether or not it still works (a renewal asks for it)."""
    if not 20 <= len(token) <= 100:
        return None
    return (
        await session.execute(select(HostedInvoiceLink).where(HostedInvoiceLink.token_sha256 == token_hash(token)))
    ).scalar_one_or_none()
