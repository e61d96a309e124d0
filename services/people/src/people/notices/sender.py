"""The approval-notice sender: queued emails out over SMTP, safe with several replicas.

Each notice is claimed with `SELECT … FOR UPDATE SKIP LOCKED` and stays locked while its message is handed to
the SMTP server; the outcome (sent, or a failed attempt with its last_error and a retry that doubles, up to
ARFLOW_NOTICE_MAX_ATTEMPTS) commits in that same transaction, so two replicas never send one notice. If the
commit fails after the server accepted the message, the notice goes again later: delivery is at-least-once, and
the Message-ID is the notice's id so a mailbox can tell the copies apart. A request's email that has not left
when the approval is decided or expires is called off instead. The sender is woken by the commit that queued a
notice (the consumer's), and polls every ARFLOW_NOTICE_POLL_SECONDS for retries that come due.

Same SMTP settings and habits as dunning's email (dunning.actions.delivery).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

import aiosmtplib
import structlog
from fastapi import FastAPI
from prometheus_client import Counter

from arflow.clock import Clock
from arflow.db import Database
from arflow.retry import Backoff
from arflow.wakeup import woken_within
from people.config import PeopleSettings
from people.domain import after_failed_attempt
from people.models import ApprovalNotice
from people.notices import repository, service

log = structlog.get_logger("people")

DISPLAY_NAME = "arflow 审批 Approvals"
# The longest the sender waits before it tries the database again after a failed pass.
MAX_LOOP_BACKOFF_SECONDS = 30.0


def build_message(notice: ApprovalNotice, *, sender: str, now: datetime) -> EmailMessage:
    """A plain-text and an HTML part (multipart/alternative); the Message-ID is the notice's id."""
    message = EmailMessage()
    message["From"] = formataddr((DISPLAY_NAME, sender))
    message["To"] = notice.recipient or ""
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{notice.id}@{sender.rpartition('@')[2] or 'arflow.local'}>"
    message["X-Arflow-Approval"] = str(notice.approval_id)
    message.set_content(notice.body_text)
    message.add_alternative(notice.body_html, subtype="html")
    message["Content-Language"] = "zh-CN, en"  # last: set_content moves Content-* headers
    return message


async def deliver(message: EmailMessage, settings: PeopleSettings) -> None:
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )


async def _send_one(session: Any, notice: ApprovalNotice, *, clock: Clock, settings: PeopleSettings) -> str:
    now = clock.now()
    heard = await repository.get_approval(session, notice.approval_id)
    reason = service.still_worth_sending(notice, heard, now)
    if reason is not None:
        service.record_cancelled(notice, reason=reason)
        return "cancelled"
    try:
        await deliver(build_message(notice, sender=settings.smtp_from, now=now), settings)
    except Exception as exc:  # any failure to hand it over is one failed attempt
        decision = after_failed_attempt(
            notice.attempts + 1,
            now=now,
            max_attempts=settings.notice_max_attempts,
            base_delay=timedelta(seconds=settings.notice_retry_base_seconds),
        )
        service.record_failure(notice, decision, error=f"{type(exc).__name__}: {exc}", now=now)
        return "failed" if decision.status == "failed" else "retry"
    service.record_sent(notice, now=now)
    return "sent"


def _stop_if_cancelled() -> None:
    """Raise the cancellation an SMTP call swallowed.

    aiosmtplib waits with asyncio.wait_for, which on Python 3.11 returns the result instead of raising when the
    cancellation arrives in the loop turn the reply does (CPython gh-86296): the task is still being cancelled,
    but the sender would go on to the next notice, and a stopping service would wait for it in vain.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def send_due(db: Database, *, clock: Clock, settings: PeopleSettings, sent: Counter | None = None) -> int:
    """Attempt every notice due now, one transaction each; returns how many were attempted."""
    attempted = 0
    while attempted < settings.notice_batch_size:
        _stop_if_cancelled()
        async with db.unit_of_work() as session:
            notice = await repository.claim_due(session, clock.now())
            if notice is None:
                break
            attempted += 1
            outcome = await _send_one(session, notice, clock=clock, settings=settings)
        if sent is not None:
            sent.labels(outcome).inc()
    return attempted


def waker(wake: asyncio.Event) -> Callable[[dict[Any, Any]], None]:
    """Set `wake` after a commit that queued a notice; other commits leave the sender be."""

    def maybe_wake(info: dict[Any, Any]) -> None:
        if info.get(repository.QUEUED):
            wake.set()

    return maybe_wake


async def notice_sender(app: FastAPI) -> None:
    """The worker sending approval notices until cancelled, woken by commits or every poll interval."""
    db: Database = app.state.db
    settings: PeopleSettings = app.state.settings
    sent = app.state.metrics.counter(
        "approval_notices_total", "Approval notice delivery attempts, by outcome", ["outcome"]
    )
    wake = asyncio.Event()
    db.on_commit_of(waker(wake))
    backoff = Backoff(settings.notice_poll_seconds, max(settings.notice_poll_seconds, MAX_LOOP_BACKOFF_SECONDS))
    while True:
        # Cleared before the pass: a notice queued during it wakes the next one (the pass's own commits queue none).
        wake.clear()
        try:
            attempted = await send_due(db, clock=app.state.clock, settings=settings, sent=sent)
            backoff.reset()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database unreachable: keep the notices, try again later
            delay = backoff.delay()
            log.warning("notice_sender.failed", error=repr(exc), retry_in=delay)
            await asyncio.sleep(delay)
            continue
        if attempted < settings.notice_batch_size:
            await woken_within(wake, settings.notice_poll_seconds)
