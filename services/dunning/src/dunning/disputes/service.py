"""Disputes a collector hears (task outcome `dispute`) and resolves. Never commits.

DisputeOpened/DisputeResolved are reconciliation's facts (it publishes them for the disputes it
raises): dunning does not publish them for a dispute it heard. It records its own dispute on the
invoices the customer named, stops chasing those items only (DunningPaused, reason `dispute`) and
chases them again when a collector resolves it here. A dispute raised in reconciliation is
resolved there.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.ids import uuid7
from dunning.case_events import publish_pause
from dunning.disputes import repository
from dunning.disputes.errors import (
    DisputeAlreadyResolved,
    DisputeFromReconciliation,
    DisputeInvoicesMissing,
    DisputeNotFound,
    InvoiceNotInCase,
)
from dunning.lookups import case_items
from dunning.models import Customer, DunningCase, DunningCaseItem, InvoiceDispute

log = structlog.get_logger("dunning")


async def _time_zone(session: AsyncSession, customer_id: UUID) -> str:
    customer = await session.get(Customer, customer_id)
    return customer.time_zone if customer else DEFAULT_TIME_ZONE


async def check_disputed_invoices(
    session: AsyncSession, *, case: DunningCase, invoice_ids: Sequence[UUID] | None
) -> list[DunningCaseItem]:
    """The open items a dispute names: at least one, each an open item of the case."""
    if not invoice_ids:
        raise DisputeInvoicesMissing(
            "A task completed with `dispute` needs disputed_invoice_ids: the invoices the customer disputes.",
            detail_zh="以 `dispute` 结束的任务需要 disputed_invoice_ids：客户有争议的发票。",
        )
    open_items = {i.invoice_id: i for i in await case_items(session, case.id) if i.status == "open"}
    missing = [str(i) for i in dict.fromkeys(invoice_ids) if i not in open_items]
    if missing:
        raise InvoiceNotInCase(
            f"Not an open item of case {case.id}: {', '.join(missing)}.",
            detail_zh=f"以下发票不是催收案件 {case.id} 的未结项：{'、'.join(missing)}。",
            invoice_ids=missing,
        )
    return [open_items[i] for i in dict.fromkeys(invoice_ids)]


async def open_dunning_dispute(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    case: DunningCase,
    items: Sequence[DunningCaseItem],
    reason: str | None,
) -> list[InvoiceDispute]:
    """Record the customer's dispute of these items and stop chasing them (the rest of the case still is)."""
    now = clock.now()
    today = local_date(now, await _time_zone(session, case.customer_id))
    disputes = []
    for item in items:
        dispute = InvoiceDispute(
            dispute_id=uuid7(),
            invoice_id=item.invoice_id,
            case_id=case.id,
            source="dunning",
            reason=reason,
            opened_at=now,
            opened_on=today,
        )
        await repository.add_dispute(session, dispute)
        disputes.append(dispute)
        if not item.disputed:
            item.disputed, item.updated_at = True, now
    numbers = ", ".join(i.invoice_number for i in items)
    await publish_pause(session, clock=clock, case=case, reason="dispute", until=None, note=reason or numbers)
    log.info("dispute.opened", case_id=str(case.id), invoices=numbers, source="dunning")
    return disputes


async def resolve_dispute(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    case: DunningCase,
    dispute_id: UUID,
    operator: str,
) -> InvoiceDispute:
    """Resolve a dispute dunning recorded (a collector's, or a statement's); its invoice is chased again once none of
    its disputes is open."""
    dispute = await repository.get_case_dispute(session, case.id, dispute_id, for_update=True)
    if dispute is None:
        raise DisputeNotFound(
            f"Case {case.id} has no dispute {dispute_id}.", detail_zh=f"催收案件 {case.id} 没有争议 {dispute_id}。"
        )
    if dispute.source == "reconciliation":  # dunning's own and a statement's are settled here
        raise DisputeFromReconciliation(
            f"Dispute {dispute_id} was raised in reconciliation and is resolved there.",
            detail_zh=f"争议 {dispute_id} 由对账服务提出，请在对账服务中解决。",
        )
    if dispute.resolved_at is not None:
        raise DisputeAlreadyResolved(
            f"Dispute {dispute_id} was resolved at {dispute.resolved_at.isoformat()}.",
            detail_zh=f"争议 {dispute_id} 已于 {dispute.resolved_at.isoformat()} 解决。",
        )
    now = clock.now()
    dispute.resolved_at = now
    dispute.resolved_on = local_date(now, await _time_zone(session, case.customer_id))
    dispute.resolved_by = operator
    await session.flush()
    disputed = await repository.is_invoice_disputed(session, dispute.invoice_id)
    for item in await case_items(session, case.id):
        if item.invoice_id == dispute.invoice_id and item.status == "open" and item.disputed != disputed:
            item.disputed, item.updated_at = disputed, now
    log.info("dispute.resolved", case_id=str(case.id), dispute_id=str(dispute_id), still_disputed=disputed)
    return dispute
