"""The email sender: delivers pending email actions over SMTP, safely with several replicas.

Each action is claimed with `SELECT … FOR UPDATE SKIP LOCKED` and stays locked
while its message is handed to the SMTP server; the outcome (sent, or a failed
attempt) and its DunningStepExecuted commit in that same transaction. Two
replicas therefore never send the same action. If the commit itself fails
after the server accepted the message, the action is sent again later: email
is at-least-once, and the Message-ID (the action id) lets a mailbox tell.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import structlog
from fastapi import FastAPI
from prometheus_client import Counter

from arflow.clock import Clock
from arflow.db import Database
from dunning import repository, service
from dunning.config import DunningSettings
from dunning.models import DunningAction
from dunning.rendering import RenderedEmail, render_email
from dunning.smssender import sender_context

log = structlog.get_logger("dunning")


def build_message(action: DunningAction, rendered: RenderedEmail, *, sender: str, now: datetime) -> EmailMessage:
    """A multipart/alternative message (plain text and HTML) for one action."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = action.recipient
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{action.id}@{sender.rpartition('@')[2] or 'arflow.local'}>"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = action.language or "zh-CN"  # after set_content, which drops Content-*
    return message


async def deliver(message: EmailMessage, settings: DunningSettings) -> None:
    """Hand one message to the configured SMTP server (raises on any failure)."""
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )


async def send_due_emails(
    db: Database, *, clock: Clock, settings: DunningSettings, deliveries: Counter | None = None
) -> int:
    """Attempt every email action due now, one transaction each; returns how many were attempted."""
    attempted = 0
    while attempted < settings.email_batch_size:
        async with db.unit_of_work() as session:
            action = await repository.claim_due_email(session, clock.now())
            if action is None:
                break
            attempted += 1
            try:
                rendered = render_email(
                    action.template or "", action.language or "", action.details, sender_context(settings)
                )
                await deliver(build_message(action, rendered, sender=settings.smtp_from, now=clock.now()), settings)
            except Exception as exc:  # any failure to render or deliver is one failed attempt
                outcome = await service.record_email_failure(
                    session,
                    clock=clock,
                    action=action,
                    error=f"{type(exc).__name__}: {exc}",
                    max_attempts=settings.email_max_attempts,
                    base_delay=timedelta(seconds=settings.email_retry_base_seconds),
                )
            else:
                await service.record_email_sent(session, clock=clock, action=action, subject=rendered.subject)
                outcome = "sent"
        if deliveries is not None:
            deliveries.labels(outcome).inc()
    return attempted


async def email_sender(app: FastAPI) -> None:
    """The worker: deliver due emails until cancelled, woken by commits or every poll interval."""
    db: Database = app.state.db
    settings: DunningSettings = app.state.settings
    deliveries = app.state.metrics.counter(
        "email_deliveries_total", "Dunning email delivery attempts, by outcome", ["outcome"]
    )
    wake = asyncio.Event()
    db.on_commit(wake.set)
    backoff = settings.email_poll_seconds
    while True:
        try:
            attempted = await send_due_emails(db, clock=app.state.clock, settings=settings, deliveries=deliveries)
            backoff = settings.email_poll_seconds
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database unreachable: keep the actions, try again later
            log.warning("email_sender.failed", error=repr(exc), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        if attempted < settings.email_batch_size:
            # Cleared only after the pass: the pass's own commits set it, and must not spin the loop.
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=settings.email_poll_seconds)
