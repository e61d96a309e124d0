"""Delivery of pending email and SMS actions: one loop, one `deliver()` per channel, safe with several replicas.

Each channel's loop also takes turns with its other queues (`Channel.queues`: the invoices sent on issue,
deliveries/), in the same transactions and under the same settings; main.py wires them.

Each action is claimed with `SELECT … FOR UPDATE SKIP LOCKED` and stays locked
while its message is handed over (to the SMTP server, or to the SMS provider);
the outcome (sent, or a failed attempt) and its DunningStepExecuted commit in
that same transaction. While the creditor (legal name, USCC, payee account) is
not set, nothing goes to a customer: each action stays queued, its last_error
saying why, and is looked at again after the channel's retry delay (internal
alerts still go out). Two replicas therefore never send the same action. If
the commit itself fails after the message was accepted, the action is sent
again later: delivery is at-least-once (an email's Message-ID and an SMS's
`reference` are the action id, so a mailbox or a provider can tell; that is why
the Message-ID is not email.utils.make_msgid's random one).

An email is from the creditor's legal name (the display name) at ARFLOW_SMTP_FROM,
with Reply-To where customers' replies should go, a plain-text and an HTML part,
and, for a letter step, the letter PDF attached.

The SMS provider is any HTTP endpoint taking `POST {"to", "text", "reference"}`
as JSON and answering 2xx when it accepted the message (the shape most Chinese
SMS gateways' simple APIs take; an adapter in front of a signed API is one
small service).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, Protocol

import aiosmtplib
import httpx
import structlog
from fastapi import FastAPI
from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session

from arflow.clock import Clock
from arflow.db import Database
from arflow.documents.creditor import Creditor
from arflow.retry import Backoff
from arflow.wakeup import woken_within
from dunning.actions import repository
from dunning.actions.rendering import RenderedEmail, render_email, render_sms
from dunning.actions.service import record_delivery_failure, record_delivery_held, record_delivery_sent
from dunning.config import DunningSettings
from dunning.creditor.service import in_force
from dunning.deps import SYSTEM
from dunning.invoice_links import links_of
from dunning.models import DunningAction

log = structlog.get_logger("dunning")

# The longest a sender waits before it tries the database again after a failed pass.
MAX_LOOP_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class Limits:
    """How a channel's sender paces itself and retries (each channel has its own settings)."""

    poll_seconds: float
    batch_size: int
    max_attempts: int
    retry_base: timedelta


# Deliver one claimed action now (raises on any failure); returns what the log keeps as its subject.
Deliver = Callable[[AsyncSession, DunningAction, DunningSettings, datetime], Awaitable[str]]
# Actions that reach only the firm's own people: they need no creditor to go out.
INTERNAL_CHANNELS = frozenset({"internal_alert"})
# The email that carries a letter step's PDF (its wording follows the letter's kind).
LETTER_EMAIL_TEMPLATE = "letter"


class Queue(Protocol):
    """Rows of another table a channel's sender delivers (issued invoices), in its loop and its transactions.

    `claim` locks the next due row (FOR UPDATE SKIP LOCKED) or answers None; `send` hands it over and records how
    it went, in the same transaction, answering the outcome the deliveries counter counts ("sent", "retry",
    "failed", "held", ...). `settings` carry the creditor in force.
    """

    async def claim(self, session: AsyncSession, now: datetime) -> Any | None: ...

    async def send(
        self, session: AsyncSession, item: Any, *, clock: Clock, settings: DunningSettings, limits: Limits
    ) -> str: ...


@dataclass(frozen=True)
class Channel:
    """One way of delivering: which actions it takes, its settings, and how it hands one over."""

    name: str
    actions: tuple[str, ...]
    limits: Callable[[DunningSettings], Limits]
    deliver: Deliver
    metric: str | None = None  # the deliveries counter, by outcome
    queues: tuple[Queue, ...] = ()  # other rows its sender takes turns with the actions to deliver


def creditor_ready(settings: DunningSettings) -> bool:
    """True when the creditor is set (or the marked demo creditor allowed): customers may be written to."""
    return settings.creditor_demo or not settings.missing_creditor_settings()


def creditor_hold_reason(settings: DunningSettings) -> str:
    names = ", ".join(f"ARFLOW_{name.upper()}" for name in settings.missing_creditor_settings())
    return f"creditor_not_configured: nothing goes to a customer until {names} are set"


def sender_context(creditor: Creditor | None) -> dict[str, object]:
    """What every message may name of the sender: the creditor, how to reach it, the account to pay into."""
    if creditor is None:  # an internal alert while the creditor is not set
        return {"creditor": None, "creditor_name": "", "bank": None}
    return {
        "creditor": {"legal_name": creditor.legal_name, "phone": creditor.phone, "demo": creditor.demo},
        "creditor_name": creditor.legal_name,
        "bank": {
            "name": creditor.bank_name,
            "account_name": creditor.bank_account_name,
            "account_number": creditor.bank_account_number,
        },
    }


# --- email -------------------------------------------------------------------------------


async def hosted_links(session: AsyncSession, action: DunningAction) -> dict[str, str]:
    """The hosted page of each invoice the message names (InvoiceIssued's link), as of sending it."""
    invoices = (action.details or {}).get("invoices") or []
    return await links_of(session, [i["invoice_id"] for i in invoices if i.get("invoice_id")])


def build_message(
    action: DunningAction,
    rendered: RenderedEmail,
    *,
    sender: str,
    display_name: str | None,
    reply_to: str,
    now: datetime,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> EmailMessage:
    """An action's message: a plain-text and an HTML part (multipart/alternative), and any PDFs attached."""
    return compose_message(
        rendered,
        message_id=str(action.id),
        recipient=action.recipient or "",
        language=action.language,
        sender=sender,
        display_name=display_name,
        reply_to=reply_to,
        now=now,
        attachments=attachments,
    )


def compose_message(
    rendered: RenderedEmail,
    *,
    message_id: str,
    recipient: str,
    language: str | None,
    sender: str,
    display_name: str | None,
    reply_to: str,
    now: datetime,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> EmailMessage:
    """A message with a plain-text and an HTML part (multipart/alternative), and any PDFs attached."""
    message = EmailMessage()
    message["From"] = formataddr((display_name, sender)) if display_name else sender
    message["To"] = recipient
    message["Reply-To"] = reply_to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}@{sender.rpartition('@')[2] or 'arflow.local'}>"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for filename, content in attachments:
        message.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    message["Content-Language"] = language or "zh-CN"  # last: set_content and add_attachment move Content-*
    return message


def reply_address(settings: DunningSettings) -> str:
    """Where customers' replies go: ARFLOW_REPLY_TO, else the account manager, else the sender."""
    return settings.reply_to or settings.account_manager_email or settings.smtp_from


async def send_email(message: EmailMessage, settings: DunningSettings) -> None:
    """Hand a message to the SMTP server (raises on any failure)."""
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )


def email_limits(settings: DunningSettings) -> Limits:
    return Limits(
        poll_seconds=settings.email_poll_seconds,
        batch_size=settings.email_batch_size,
        max_attempts=settings.email_max_attempts,
        retry_base=timedelta(seconds=settings.email_retry_base_seconds),
    )


async def deliver_email(session: AsyncSession, action: DunningAction, settings: DunningSettings, now: datetime) -> str:
    """Render an email action (a letter step's with its PDF attached) and hand it to the SMTP server."""
    creditor = settings.creditor() if creditor_ready(settings) else None
    template, attachments = action.template or "", []
    if action.channel == "letter":
        letter = await repository.letter_of_action(session, action.id)
        if letter is None:
            raise RuntimeError(f"the letter of action {action.id} is missing")
        template, attachments = LETTER_EMAIL_TEMPLATE, [(letter.filename, letter.content)]
    context = {**sender_context(creditor), "hosted_links": await hosted_links(session, action)}
    rendered = render_email(template, action.language or "", action.details, context)
    message = build_message(
        action,
        rendered,
        sender=settings.smtp_from,
        display_name=creditor.legal_name if creditor else None,
        reply_to=reply_address(settings),
        now=now,
        attachments=attachments,
    )
    await send_email(message, settings)
    return rendered.subject


EMAIL = Channel(
    name="email",
    actions=("email", "internal_alert", "letter"),
    limits=email_limits,
    deliver=deliver_email,
    metric="email_deliveries_total",
)


# --- SMS ---------------------------------------------------------------------------------


def sms_limits(settings: DunningSettings) -> Limits:
    return Limits(
        poll_seconds=settings.sms_poll_seconds,
        batch_size=settings.sms_batch_size,
        max_attempts=settings.sms_max_attempts,
        retry_base=timedelta(seconds=settings.sms_retry_base_seconds),
    )


NO_SMS_PROVIDER = "no SMS provider configured (ARFLOW_SMS_PROVIDER_URL)"


async def post_sms(client: httpx.AsyncClient, settings: DunningSettings, *, to: str, text: str, reference: str) -> None:
    """Hand one text message to the SMS provider (raises on any failure, an unset provider included)."""
    if not settings.sms_provider_url:
        raise RuntimeError(NO_SMS_PROVIDER)
    response = await client.post(
        settings.sms_provider_url,
        json={"to": to, "text": text, "reference": reference},
        timeout=settings.sms_timeout,
    )
    response.raise_for_status()


def sms_channel(client: httpx.AsyncClient) -> Channel:
    """The SMS channel, posting through `client` to the configured provider."""

    async def deliver_sms(
        session: AsyncSession, action: DunningAction, settings: DunningSettings, now: datetime
    ) -> str:
        if not settings.sms_provider_url:
            raise RuntimeError(NO_SMS_PROVIDER)
        context = sender_context(settings.creditor())
        text = render_sms(action.template or "", action.language or "", action.details, context)
        await post_sms(client, settings, to=action.recipient or "", text=text, reference=str(action.id))
        return text[:200]

    return Channel(name="sms", actions=("sms",), limits=sms_limits, deliver=deliver_sms)


# --- the loop ----------------------------------------------------------------------------


async def _deliver_one(
    session: AsyncSession,
    channel: Channel,
    action: DunningAction,
    *,
    clock: Clock,
    settings: DunningSettings,
    limits: Limits,
) -> str:
    """Hand one claimed action over and record how it went: "sent", "retry" or "failed"."""
    try:
        subject = await channel.deliver(session, action, settings, clock.now())
    except Exception as exc:  # any failure to render or deliver is one failed attempt
        return await record_delivery_failure(
            session,
            clock=clock,
            action=action,
            error=f"{type(exc).__name__}: {exc}",
            max_attempts=limits.max_attempts,
            base_delay=limits.retry_base,
            actor=SYSTEM,
        )
    await record_delivery_sent(session, clock=clock, action=action, subject=subject, actor=SYSTEM)
    return "sent"


@dataclass(frozen=True)
class ActionQueue:
    """The channel's own actions (the action log's emails, SMS, letters and alerts), as one of its queues."""

    channel: Channel

    async def claim(self, session: AsyncSession, now: datetime) -> DunningAction | None:
        return await repository.claim_due(session, now, self.channel.actions)

    async def send(
        self, session: AsyncSession, item: DunningAction, *, clock: Clock, settings: DunningSettings, limits: Limits
    ) -> str:
        if item.channel not in INTERNAL_CHANNELS and not creditor_ready(settings):
            await record_delivery_held(
                session, clock=clock, action=item, reason=creditor_hold_reason(settings), delay=limits.retry_base
            )
            return "held"
        return await _deliver_one(session, self.channel, item, clock=clock, settings=settings, limits=limits)


def stop_if_cancelled() -> None:
    """Raise the cancellation an SMTP call swallowed.

    aiosmtplib waits with asyncio.wait_for, which on Python 3.11 returns the result instead of raising when the
    cancellation arrives in the loop turn the reply does (CPython gh-86296): the task is still being cancelled,
    but the sender would go on to the next action, and a stopping service would wait for it in vain. Checked
    between sends, so the one handed over is still recorded as sent.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def send_due(
    db: Database, channel: Channel, *, clock: Clock, settings: DunningSettings, deliveries: Counter | None = None
) -> int:
    """Attempt everything `channel` has due now, one transaction each; returns how many were attempted.

    The channel's actions and its other queues take turns, so a long run of one never holds the other back.
    """
    limits = channel.limits(settings)
    queues: list[Queue] = [ActionQueue(channel), *channel.queues]
    attempted, turn = 0, 0
    while attempted < limits.batch_size:
        stop_if_cancelled()
        async with db.unit_of_work() as session:
            now = clock.now()
            claimed: tuple[Queue, Any] | None = None
            for offset in range(len(queues)):
                queue = queues[(turn + offset) % len(queues)]
                item = await queue.claim(session, now)
                if item is not None:
                    claimed, turn = (queue, item), turn + offset + 1
                    break
            if claimed is None:
                break
            attempted += 1
            in_effect = await in_force(session, settings)  # the creditor set through invoicing's API, if any
            outcome = await claimed[0].send(session, claimed[1], clock=clock, settings=in_effect, limits=limits)
        if deliveries is not None:
            deliveries.labels(outcome).inc()
    stop_if_cancelled()
    return attempted


async def deliver_forever(app: FastAPI, channel: Channel) -> None:
    """Deliver a channel's due actions until cancelled, woken by commits or every poll interval."""
    db: Database = app.state.db
    settings: DunningSettings = app.state.settings
    limits = channel.limits(settings)
    deliveries = None
    if channel.metric is not None:
        deliveries = app.state.metrics.counter(
            channel.metric, f"Dunning {channel.name} delivery attempts, by outcome", ["outcome"]
        )
    wake = asyncio.Event()
    db.on_commit_of(waker(channel, wake))
    backoff = Backoff(limits.poll_seconds, max(limits.poll_seconds, MAX_LOOP_BACKOFF_SECONDS))
    while True:
        try:
            attempted = await send_due(db, channel, clock=app.state.clock, settings=settings, deliveries=deliveries)
            backoff.reset()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database unreachable: keep the actions, try again later
            delay = backoff.delay()
            log.warning(f"{channel.name}_sender.failed", error=repr(exc), retry_in=delay)
            await asyncio.sleep(delay)
            continue
        if attempted < limits.batch_size:
            # Cleared only after the pass: the pass's own commits set it, and must not spin the loop.
            wake.clear()
            await woken_within(wake, limits.poll_seconds)


# session.info key: the channels of the actions a unit of work created (see note_new_action).
NEW_ACTION_CHANNELS = "dunning.new_action_channels"


@event.listens_for(DunningAction, "after_insert")
def note_new_action(_mapper: Any, _connection: Any, action: DunningAction) -> None:
    """Note on its session the channel of each action created, for the commit to wake only its sender."""
    session = object_session(action)
    if session is not None:
        note_new_channels(session, {action.channel})


def note_new_channels(session: Session | AsyncSession, channels: set[str]) -> None:
    """Note on a session the channels of actions it created without the ORM (the tick's bulk insert)."""
    if channels:
        session.info.setdefault(NEW_ACTION_CHANNELS, set()).update(channels)


def waker(channel: Channel, wake: asyncio.Event) -> Callable[[dict[Any, Any]], None]:
    """Set `wake` after a commit that created an action this channel delivers; other commits leave it be.

    Every dunning commit used to wake both senders, each then running a claim transaction of its own
    (the SMS one even with no provider configured): most commits create no action at all. What is due
    later (a retry, a step after quiet hours) is found by the sender's poll.
    """
    delivered = set(channel.actions)

    def maybe_wake(info: dict[Any, Any]) -> None:
        if info.get(NEW_ACTION_CHANNELS, set()) & delivered:
            wake.set()

    return maybe_wake
