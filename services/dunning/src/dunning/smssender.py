"""The SMS sender: delivers pending SMS actions through an HTTP provider, safely with several replicas.

The provider is any HTTP endpoint taking `POST {"to", "text", "reference"}` as
JSON and answering 2xx when it accepted the message (the shape most Chinese
SMS gateways' simple APIs take; an adapter in front of a signed API is one
small service). Claiming, retries and the outcome work as for email.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import httpx
import structlog
from fastapi import FastAPI

from arflow.clock import Clock
from arflow.db import Database
from dunning import repository, service
from dunning.config import DunningSettings
from dunning.rendering import render_sms

log = structlog.get_logger("dunning")


def sender_context(settings: DunningSettings) -> dict[str, object]:
    """What every message may name of the sender: the creditor and the bank account to pay into."""
    return {
        "creditor_name": settings.creditor_name,
        "bank": {
            "name": settings.bank_name,
            "account_name": settings.bank_account_name,
            "account_number": settings.bank_account_number,
        },
    }


async def send_due_sms(db: Database, *, clock: Clock, settings: DunningSettings, client: httpx.AsyncClient) -> int:
    """Attempt every SMS action due now, one transaction each; returns how many were attempted."""
    attempted = 0
    while attempted < settings.email_batch_size:
        async with db.unit_of_work() as session:
            action = await repository.claim_due_sms(session, clock.now())
            if action is None:
                break
            attempted += 1
            try:
                if not settings.sms_provider_url:
                    raise RuntimeError("no SMS provider configured (ARFLOW_SMS_PROVIDER_URL)")
                text = render_sms(
                    action.template or "", action.language or "", action.details, sender_context(settings)
                )
                response = await client.post(
                    settings.sms_provider_url,
                    json={"to": action.recipient, "text": text, "reference": str(action.id)},
                    timeout=settings.sms_timeout,
                )
                response.raise_for_status()
            except Exception as exc:  # any failure to render or deliver is one failed attempt
                await service.record_email_failure(
                    session,
                    clock=clock,
                    action=action,
                    error=f"{type(exc).__name__}: {exc}",
                    max_attempts=settings.email_max_attempts,
                    base_delay=timedelta(seconds=settings.email_retry_base_seconds),
                )
            else:
                await service.record_email_sent(session, clock=clock, action=action, subject=text[:200])
    return attempted


async def sms_sender(app: FastAPI) -> None:
    """The worker: deliver due SMS until cancelled, woken by commits or every poll interval."""
    db: Database = app.state.db
    settings: DunningSettings = app.state.settings
    wake = asyncio.Event()
    db.on_commit(wake.set)
    backoff = settings.email_poll_seconds
    async with httpx.AsyncClient() as client:
        while True:
            try:
                attempted = await send_due_sms(db, clock=app.state.clock, settings=settings, client=client)
                backoff = settings.email_poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database unreachable: keep the actions, try again later
                log.warning("sms_sender.failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if attempted < settings.email_batch_size:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=settings.email_poll_seconds)
