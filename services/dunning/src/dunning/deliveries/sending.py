"""Sending an issued document: the queue each channel's sender takes turns with its actions on.

The PDF is fetched when the email is sent, from the document's hosted page (`<hosted link>/pdf`, the same
PDF the customer downloads there, with the link as its QR code); the link is read as of sending, so a
rotation is followed and a revocation stops the message. A fetch that fails is a failed attempt like an
SMTP failure (retried with the channel's backoff); invoicing's rate limit (429) holds the queue until its
Retry-After without counting an attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from dunning import domain
from dunning.actions.delivery import (
    EMAIL,
    Limits,
    compose_message,
    creditor_hold_reason,
    creditor_ready,
    deliver_forever,
    note_new_channels,
    post_sms,
    reply_address,
    send_email,
    sender_context,
    sms_channel,
)
from dunning.actions.rendering import RenderedEmail, render_email, render_sms
from dunning.config import DunningSettings
from dunning.customers.repository import get_customer
from dunning.deliveries import repository, rules
from dunning.invoice_links import links_of
from dunning.models import CustomerDelivery

log = structlog.get_logger("dunning")

# The templates of each kind of document (templates/deliveries/): a policy step cannot name them.
EMAIL_TEMPLATES = {"invoice": "deliveries/invoice_issued", "statement": "deliveries/statement_issued"}
SMS_TEMPLATES = {"invoice": "deliveries/invoice_issued_sms", "statement": "deliveries/statement_issued_sms"}
# A renewed link: the email to the address that asked for it on the dead page, the link and no attachment.
RENEWAL_TEMPLATES = {"invoice": "deliveries/invoice_link_renewed", "statement": "deliveries/statement_link_renewed"}
LONGEST_RATE_LIMIT_WAIT = timedelta(minutes=10)


class RateLimited(Exception):
    """The hosted page refused the fetch for now (429): wait `retry_after`, it is no failed attempt."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"the hosted page is rate limited for {retry_after.total_seconds():.0f} s")
        self.retry_after = retry_after


class Held(Exception):
    """Not to be sent yet (quiet hours, a recipient chosen anew): look again at `until`, no attempt counted."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.reason, self.until = reason, until


class NoAddressee(Exception):
    """Nobody to send the document to: the delivery is skipped (a resend after the contacts are fixed sends it)."""


def _retry_after(response: httpx.Response) -> timedelta:
    try:
        seconds = float(response.headers.get("retry-after", "60"))
    except ValueError:
        seconds = 60.0
    return min(timedelta(seconds=max(seconds, 1.0)), LONGEST_RATE_LIMIT_WAIT)


def fetched_from(link: str, base_url: str | None) -> str:
    """The address of the link's page as dunning reaches it: its path on `base_url` when one is set."""
    if not base_url:
        return link
    parts = urlsplit(link)
    return f"{base_url.rstrip('/')}{parts.path}" + (f"?{parts.query}" if parts.query else "")


async def fetch_pdf(client: httpx.AsyncClient, link: str, *, language: str, seconds: float) -> bytes:
    """The document's PDF from its hosted page, in `language` (raises on anything but a PDF)."""
    response = await client.get(
        f"{link.rstrip('/')}/pdf",
        params={"lang": language},
        headers={"Accept": "application/pdf"},
        timeout=seconds,
        follow_redirects=False,
    )
    if response.status_code == 429:
        raise RateLimited(_retry_after(response))
    if response.status_code == 404:
        raise RuntimeError("the hosted page answered 404: its link was revoked, rotated or has expired")
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        detail = response.text[:200] if response.headers.get("content-type", "").endswith("json") else ""
        raise RuntimeError(f"the hosted page's PDF answered {response.status_code} {detail}".rstrip())
    return response.content


async def hosted_link(session: AsyncSession, delivery: CustomerDelivery) -> str | None:
    """The document's hosted page as of now (an invoice's follows rotations; none once revoked; a statement's
    follows StatementHostedLinkChanged into its details)."""
    if delivery.kind == "invoice":
        return (await links_of(session, [delivery.document_id])).get(str(delivery.document_id))
    link = delivery.details.get("hosted_url")
    return str(link) if link else None


def message_id(delivery: CustomerDelivery) -> str:
    """Stable across retries (a mailbox can tell a repeat), new for each resend (so it is not dropped as one)."""
    return f"{delivery.id}.{delivery.resends}" if delivery.resends else str(delivery.id)


@dataclass
class DocumentQueue:
    """The queued deliveries of one channel, with the HTTP client the PDFs (and SMS) go through."""

    channel: rules.DeliveryChannel
    client: httpx.AsyncClient
    paused_until: datetime | None = field(default=None)

    async def claim(self, session: AsyncSession, now: datetime) -> CustomerDelivery | None:
        if self.paused_until is not None and now < self.paused_until:
            return None  # invoicing asked us to wait: every fetch meanwhile would be refused too
        return await repository.claim_due(session, now, self.channel)

    async def send(
        self,
        session: AsyncSession,
        item: CustomerDelivery,
        *,
        clock: Clock,
        settings: DunningSettings,
        limits: Limits,
    ) -> str:
        """Send one claimed delivery and record how it went: sent, retry, failed, held, cancelled or skipped."""
        now = clock.now()
        bound = log.bind(delivery_id=str(item.id), kind=item.kind, document_id=str(item.document_id))
        if item.kind == "invoice" and item.purpose == "issue" and item.resends == 0:
            closure = await repository.closure_of(session, item.document_id)
            if closure is not None:  # settled before it went (a consumer catching up): nothing to send for
                _finish(item, "cancelled", now, error=f"cancelled: the invoice was {closure} before it was sent")
                bound.info("delivery.cancelled", closure=closure)
                return "cancelled"
        if not creditor_ready(settings):
            _hold(item, creditor_hold_reason(settings), now + limits.retry_base)
            return "held"
        try:
            if item.recipient is None:
                await self._address(session, item, now=now)
            self._check_quiet(item, now=now, settings=settings)
            item.subject = await self._deliver(session, item, settings=settings, now=now)
        except Held as held:
            _hold(item, held.reason, held.until)
            return "held"
        except RateLimited as limited:
            self.paused_until = now + limited.retry_after
            _hold(item, f"rate_limited: {limited}", self.paused_until)
            bound.warning("delivery.rate_limited", retry_in=limited.retry_after.total_seconds())
            return "held"
        except NoAddressee as nobody:
            _finish(item, "skipped", now, error=str(nobody))
            return "skipped"
        except Exception as exc:  # any failure to fetch, render or hand over is one failed attempt
            return _failed_attempt(item, f"{type(exc).__name__}: {exc}", now=now, limits=limits, bound=bound)
        item.attempts += 1
        _finish(item, "sent", now, error=None)
        item.sent_at = now
        bound.info("delivery.sent", channel=item.channel, attempts=item.attempts)
        return "sent"

    async def _address(self, session: AsyncSession, item: CustomerDelivery, *, now: datetime) -> None:
        """Choose the recipient of a document queued before its customer was known; a move to SMS waits for its
        sender."""
        customer = await get_customer(session, item.customer_id)
        if customer is None:
            raise RuntimeError(f"customer {item.customer_id} is not known to dunning yet (no CustomerUpserted)")
        addressee = rules.choose_addressee(customer.contacts, customer.preferred_language)
        if addressee is None:
            raise NoAddressee("no_recipient: the customer has no contact with an email address or a phone")
        item.recipient, item.language = addressee.recipient, addressee.language
        item.details = {**item.details, "customer_name": customer.legal_name, "time_zone": customer.time_zone}
        if addressee.channel != item.channel:
            item.channel = addressee.channel
            note_new_channels(session, {addressee.channel})
            raise Held(f"moved to {addressee.channel}: the customer prefers it", now)

    def _check_quiet(self, item: CustomerDelivery, *, now: datetime, settings: DunningSettings) -> None:
        if item.channel != "sms":
            return
        zone = ZoneInfo(str(item.details.get("time_zone") or "Asia/Shanghai"))
        ends = rules.quiet_until(now.astimezone(zone), settings.quiet_hours_start, settings.quiet_hours_end)
        if ends is not None:
            raise Held("quiet_hours: no SMS in the customer's quiet hours", ends)

    async def _deliver(
        self, session: AsyncSession, item: CustomerDelivery, *, settings: DunningSettings, now: datetime
    ) -> str:
        link = await hosted_link(session, item)
        if link is None:
            raise RuntimeError(f"the {item.kind} has no hosted page (never made, or revoked): nothing to link")
        language = item.language or domain.DEFAULT_LANGUAGE
        context = {**sender_context(settings.creditor()), "hosted_link": link}
        if item.purpose == "link_renewal":  # the link asked for, to the address that asked: nothing to attach
            rendered = render_email(RENEWAL_TEMPLATES[item.kind], language, item.details, context)
            await send_email(self._compose(item, rendered, settings, language, now, []), settings)
            return rendered.subject
        if item.channel == "sms":
            text = render_sms(SMS_TEMPLATES[item.kind], language, item.details, context)
            log.info("delivery.sms_text", delivery_id=str(item.id), parts=rules.sms_parts(text))
            await post_sms(self.client, settings, to=item.recipient or "", text=text, reference=message_id(item))
            return text[:200]
        pdf = await fetch_pdf(
            self.client,
            fetched_from(link, settings.document_fetch_base_url),
            language=language,
            seconds=settings.document_fetch_timeout,
        )
        rendered = render_email(EMAIL_TEMPLATES[item.kind], language, item.details, context)
        attachments = [(f"{item.document_number}.pdf", pdf)]
        await send_email(self._compose(item, rendered, settings, language, now, attachments), settings)
        return rendered.subject

    def _compose(
        self,
        item: CustomerDelivery,
        rendered: RenderedEmail,
        settings: DunningSettings,
        language: str,
        now: datetime,
        attachments: list[tuple[str, bytes]],
    ) -> EmailMessage:
        return compose_message(
            rendered,
            message_id=message_id(item),
            recipient=item.recipient or "",
            language=language,
            sender=settings.smtp_from,
            display_name=settings.creditor().legal_name,
            reply_to=reply_address(settings),
            now=now,
            attachments=attachments,
        )


def _hold(item: CustomerDelivery, reason: str, until: datetime) -> None:
    item.last_error, item.next_attempt_at = reason[:2000], until
    log.info("delivery.held", delivery_id=str(item.id), reason=reason[:200], until=until.isoformat())


def _finish(item: CustomerDelivery, status: str, now: datetime, *, error: str | None) -> None:
    item.status, item.last_error, item.next_attempt_at, item.updated_at = status, error, None, now


def _failed_attempt(item: CustomerDelivery, error: str, *, now: datetime, limits: Limits, bound: Any) -> str:
    item.attempts += 1
    decision = domain.after_failed_attempt(
        item.attempts, now=now, max_attempts=limits.max_attempts, base_delay=limits.retry_base
    )
    if decision.status == "failed":
        _finish(item, "failed", now, error=error[:2000])
        bound.error("delivery.failed", attempts=item.attempts, error=error)
        return "failed"
    item.last_error, item.next_attempt_at, item.updated_at = error[:2000], decision.retry_at, now
    bound.warning("delivery.retry_scheduled", attempts=item.attempts, error=error, retry_at=str(decision.retry_at))
    return "retry"


async def email_sender(app: FastAPI) -> None:
    """The worker delivering email over SMTP: the action log's, and the documents sent on issue."""
    async with httpx.AsyncClient() as client:
        await deliver_forever(app, replace(EMAIL, queues=(DocumentQueue("email", client),)))


async def sms_sender(app: FastAPI) -> None:
    """The worker delivering SMS through the HTTP provider: the action log's, and the documents sent on issue."""
    async with httpx.AsyncClient() as client:
        await deliver_forever(app, replace(sms_channel(client), queues=(DocumentQueue("sms", client),)))
