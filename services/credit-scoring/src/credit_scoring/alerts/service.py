"""Early warnings (预警): recorded once per dedupe key, published through the outbox, acknowledged. Never commits."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.events.catalog import CreditRiskAlert, DunningEscalated, Event, LegalHandover
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.pagination import PageParams
from credit_scoring import domain, policy
from credit_scoring.alerts import repository
from credit_scoring.alerts.errors import AlertNotFound
from credit_scoring.models import CreditAlert
from credit_scoring.rescore_io import write_rescore

log = structlog.get_logger("credit-scoring")


async def record_alerts(
    session: AsyncSession, *, customer_id: UUID, warnings: list[policy.Warning], now: datetime, raised_on: date
) -> list[Event]:
    """Insert the warnings as alerts in one statement (once per dedupe key); the CreditRiskAlerts to publish.

    `raised_on` is the business date the warning is about (the rescore's as-of date), `now` when it was raised.
    """
    alerts = [(uuid7(), w) for w in warnings]
    rows = [
        {
            "id": alert_id,
            "customer_id": customer_id,
            "kind": w.kind,
            "severity": w.severity,
            "message_zh": w.message_zh,
            "message_en": w.message_en,
            "details": w.details,
            "dedupe_key": w.dedupe_key,
            "raised_at": now,
            "raised_on": raised_on,
        }
        for alert_id, w in alerts
    ]
    inserted = await repository.add_alerts(session, rows)
    events: list[Event] = []
    for alert_id, w in alerts:
        if alert_id not in inserted:
            continue
        events.append(
            CreditRiskAlert(
                customer_id=customer_id,
                alert_id=alert_id,
                kind=w.kind,
                severity=w.severity,
                message_zh=w.message_zh,
                message_en=w.message_en,
                details=w.details,
                raised_at=now,
                raised_on=raised_on,
            )
        )
        log.info("credit_alert.raised", customer_id=str(customer_id), kind=w.kind, alert_id=str(alert_id))
    return events


async def raise_alert(
    session: AsyncSession,
    *,
    clock: Clock,
    customer_id: UUID,
    warning: policy.Warning,
    raised_on: date,
    actor: Principal,
) -> None:
    """Record a warning once (by its dedupe key) and publish CreditRiskAlert (dunning, legal, PSI drift)."""
    events = await record_alerts(
        session, customer_id=customer_id, warnings=[warning], now=clock.now(), raised_on=raised_on
    )
    await write_rescore(session, limit=None, score=None, watch=None, outbox_rows=outbox.rows_for(events, clock=clock))


async def warn_of_dunning(
    session: AsyncSession, *, clock: Clock, event: DunningEscalated | LegalHandover, actor: Principal
) -> None:
    """Warn of a dunning escalation to the letter level or beyond, and of a legal handover."""
    if isinstance(event, LegalHandover):
        amount = event.amount_outstanding
        warning = policy.Warning(
            "legal_handover",
            "critical",
            f"legal_handover:{event.case_id}",
            f"催收案件已移交法律程序，未付金额 {amount.amount} {amount.currency}",
            f"Dunning case handed over to legal action; {amount.amount} {amount.currency} outstanding",
            {"case_id": str(event.case_id), "amount_outstanding": str(amount.amount), "currency": amount.currency},
        )
    elif event.to_level >= domain.LETTER_LEVEL or event.channel in domain.LETTER_OR_BEYOND_CHANNELS:
        amount = event.amount_overdue
        warning = policy.Warning(
            "dunning_letter",
            "warning",
            f"dunning_letter:{event.case_id}",
            f"催收升级至第 {event.to_level} 级（{event.channel}），逾期金额 {amount.amount} {amount.currency}",
            f"Dunning escalated to level {event.to_level} ({event.channel}); {amount.amount} {amount.currency} overdue",
            {"case_id": str(event.case_id), "level": event.to_level, "channel": event.channel},
        )
    else:
        return
    instant = event.handed_over_at if isinstance(event, LegalHandover) else event.escalated_at
    await raise_alert(
        session,
        clock=clock,
        customer_id=event.customer_id,
        warning=warning,
        raised_on=local_date(instant, DEFAULT_TIME_ZONE),
        actor=actor,
    )


async def list_alerts(
    session: AsyncSession,
    *,
    page: PageParams,
    customer_id: UUID | None,
    acknowledged: bool | None,
    kind: str | None,
    as_of: date | None = None,
) -> list[CreditAlert]:
    """A page (limit+1 rows) of alerts, newest first, filtered as asked (as_of: raised on or before that date)."""
    return await repository.list_alerts(
        session, page, customer_id=customer_id, acknowledged=acknowledged, kind=kind, as_of=as_of
    )


async def acknowledge_alert(
    session: AsyncSession, *, clock: Clock, alert_id: UUID, note: str | None, actor: Principal
) -> CreditAlert:
    """Mark an alert seen by a person (once; a repeat keeps the first acknowledgement)."""
    alert = await repository.get_alert(session, alert_id, lock=True)
    if alert is None:
        raise AlertNotFound(f"There is no alert {alert_id}.", detail_zh=f"预警 {alert_id} 不存在。")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = clock.now()
        alert.acknowledged_by = actor.name
        alert.acknowledgement_note = note
        log.info("credit_alert.acknowledged", alert_id=str(alert_id), by=actor.name)
    return alert
