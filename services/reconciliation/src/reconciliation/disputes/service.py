"""Disputes' use cases: open one on an invoice, resolve it; each publishes its event."""

from __future__ import annotations

from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import DisputeOpened, DisputeResolved
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money
from reconciliation.disputes import repository
from reconciliation.disputes.errors import (
    DisputeAlreadyOpen,
    DisputeAlreadyResolved,
    DisputeAmountInvalid,
    DisputeCurrencyMismatch,
    DisputeNotFound,
    InvoiceNotOpen,
)
from reconciliation.disputes.schemas import DisputeCreate, DisputeResolve
from reconciliation.errors import InvoiceUnknown
from reconciliation.models import Dispute
from reconciliation.open_items import repository as projection

log = structlog.get_logger("reconciliation")
# An invoice that owes nothing, as a Chinese detail says it (the English names the status as stored).
_STATUS_ZH = {"paid": "已付清", "void": "已作废"}


async def open_dispute(session: AsyncSession, *, clock: Clock, data: DisputeCreate, actor: Principal) -> Dispute:
    """A client contests an invoice: DisputeOpened pauses chasing it."""
    item = await projection.get_open_item(session, data.invoice_id, for_update=True)
    if item is None or item.issued_at is None:
        raise InvoiceUnknown(
            f"Invoice {data.invoice_id} is not known to reconciliation.",
            detail_zh=f"对账服务中没有账单 {data.invoice_id}。",
        )
    if item.status in ("paid", "void"):
        raise InvoiceNotOpen(
            f"Invoice {item.invoice_number} is {item.status}; there is nothing to dispute.",
            detail_zh=f"账单 {item.invoice_number} {_STATUS_ZH.get(item.status, item.status)}，没有可争议的金额。",
        )
    if await repository.open_dispute_of(session, item.invoice_id) is not None:
        raise DisputeAlreadyOpen(
            f"Invoice {item.invoice_number} already has an open dispute.",
            detail_zh=f"账单 {item.invoice_number} 已有一项未解决的争议。",
        )
    amount = data.amount if data.amount is not None else item.balance
    if data.amount is not None and data.currency is not None and data.currency != item.currency:
        raise DisputeCurrencyMismatch(
            f"Invoice {item.invoice_number} is in {item.currency}.",
            detail_zh=f"账单 {item.invoice_number} 的币种为 {item.currency}，争议金额须使用同一币种。",
        )
    if amount <= 0 or (item.total is not None and amount > item.total):
        raise DisputeAmountInvalid(
            f"A dispute of {amount} {item.currency} does not fit invoice {item.invoice_number}.",
            detail_zh=f"争议金额 {amount} {item.currency} 与账单 {item.invoice_number} 不符："
            "须大于零且不超过账单总额。",
        )
    now = clock.now()
    dispute = Dispute(
        id=uuid7(),
        invoice_id=item.invoice_id,
        customer_id=item.customer_id,
        invoice_number=item.invoice_number,
        amount=amount,
        currency=item.currency,
        reason=data.reason,
        status="open",
        opened_by=actor.name,
        opened_at=now,
    )
    session.add(dispute)
    await session.flush()
    await outbox.add(
        session,
        DisputeOpened(
            customer_id=item.customer_id,
            dispute_id=dispute.id,
            invoice_id=item.invoice_id,
            invoice_number=item.invoice_number,
            amount=Money.of(amount, item.currency).quantize(),
            reason=data.reason,
            opened_at=now,
        ),
        clock=clock,
    )
    log.info("dispute.opened", dispute_id=str(dispute.id), invoice_id=str(item.invoice_id))
    return dispute


async def resolve_dispute(
    session: AsyncSession, *, clock: Clock, dispute_id: UUID, data: DisputeResolve, actor: Principal
) -> Dispute:
    """Close a dispute with its resolution: DisputeResolved lets chasing resume (or not)."""
    dispute = await repository.get_dispute(session, dispute_id, for_update=True)
    if dispute is None:
        raise DisputeNotFound(f"There is no dispute {dispute_id}.", detail_zh=f"争议 {dispute_id} 不存在。")
    if dispute.status != "open":
        raise DisputeAlreadyResolved(
            f"Dispute {dispute_id} is already resolved.", detail_zh=f"争议 {dispute_id} 已经解决。"
        )
    now = clock.now()
    dispute.status, dispute.resolution, dispute.note, dispute.resolved_at = "resolved", data.resolution, data.note, now
    await session.flush()
    await outbox.add(
        session,
        DisputeResolved(
            customer_id=dispute.customer_id,
            dispute_id=dispute.id,
            invoice_id=dispute.invoice_id,
            resolution=data.resolution,
            note=data.note,
            resolved_at=now,
        ),
        clock=clock,
    )
    log.info("dispute.resolved", dispute_id=str(dispute.id), resolution=data.resolution)
    return dispute


async def require_dispute(session: AsyncSession, dispute_id: UUID) -> Dispute:
    """A dispute by id, or a 404."""
    dispute = await repository.get_dispute(session, dispute_id)
    if dispute is None:
        raise DisputeNotFound(f"There is no dispute {dispute_id}.", detail_zh=f"争议 {dispute_id} 不存在。")
    return dispute
