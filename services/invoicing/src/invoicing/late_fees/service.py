"""Late-fee use cases: charge an overdue invoice's interest and fee as a fee invoice. Never commits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock, local_date
from arflow.events.catalog import LateFeeAssessed
from arflow.messaging import outbox
from arflow.money import Money, to_minor_units
from arflow.problems import Problem
from invoicing import domain
from invoicing.invoices.schemas import InvoiceCreate, InvoiceLineIn
from invoicing.invoices.service import create_invoice
from invoicing.late_fees import repository
from invoicing.late_fees.errors import InvoiceNotOverdue, LateFeeAlreadyCharged, LateFeeOnLateFee, NothingToCharge
from invoicing.ledger.errors import InvoiceNotOpen, invoice_status_zh
from invoicing.lookups import get_customer, get_invoice, require_customer, require_invoice
from invoicing.models import Invoice
from invoicing.reports.service import late_interest_as_of

log = structlog.get_logger("invoicing")


async def assess_late_fee(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    invoice_id: UUID,
    as_of: date | None,
    apply_credit: bool = False,
) -> Invoice:
    """Charge an overdue invoice's late interest (since last charged) and its fixed fee as a fee invoice.

    The fee invoice (kind late_fee) is issued at once, due at once, and
    LateFeeAssessed names both invoices. The fixed fee is charged only once.
    """
    invoice = await require_invoice(session, invoice_id, for_update=True)
    if invoice.status not in ("open", "uncollectible"):
        raise InvoiceNotOpen(
            f"Invoice {invoice.number or invoice.id} is {invoice.status}.",
            detail_zh=f"账单 {invoice.number or invoice.id} 的状态为{invoice_status_zh(invoice.status)}。",
        )
    if invoice.kind == "late_fee":
        raise LateFeeOnLateFee(
            "Late fees are not charged on a late-fee invoice.", detail_zh="滞纳金账单不再计收滞纳金。"
        )
    customer = await require_customer(session, invoice.customer_id)
    today = as_of or local_date(clock.now(), customer.time_zone)
    if today <= invoice.due_date + timedelta(days=invoice.grace_days):
        raise InvoiceNotOverdue(
            f"The invoice is not past due + grace on {today}.",
            detail_zh=f"截至 {today}，该账单尚未超过到期日加宽限期。",
        )
    since = invoice.interest_charged_to
    if since is not None and today <= since:
        raise LateFeeAlreadyCharged(f"Interest is already charged up to {since}.", detail_zh=f"利息已计收至 {since}。")
    interest = await late_interest_as_of(session, invoice, today)
    fee = invoice.late_fee if since is None and invoice.late_fee else Decimal(0)
    if interest + fee <= 0:
        raise NothingToCharge(
            "The invoice's terms charge no interest or fee for this period.",
            detail_zh="按该账单的付款条件，本期间无利息或滞纳金可计收。",
        )
    interest_from = (since or invoice.due_date) + timedelta(days=1)
    lines = []
    if interest > 0:
        lines.append(
            InvoiceLineIn(
                description=f"逾期利息 Late interest {invoice.number} {interest_from}..{today}", unit_price=interest
            )
        )
    if fee > 0:
        lines.append(InvoiceLineIn(description=f"滞纳金 Late fee {invoice.number}", unit_price=fee))
    fee_invoice = await create_invoice(
        session,
        actor=actor,
        clock=clock,
        data=InvoiceCreate(
            customer_id=customer.id,
            currency=invoice.currency,
            invoice_date=today,
            net_days=0,
            memo=f"Late interest and fees on {invoice.number}",
            lines=lines,
            issue=True,
        ),
        kind="late_fee",
        related_invoice_id=invoice.id,
        apply_credit=apply_credit,
        allow_archived=True,
    )
    invoice.interest_charged_to = today
    invoice.interest_charged += interest
    daily = domain.daily_interest_rate(invoice.interest_kind, invoice.interest_rate)
    basis = f"{daily * 100:.4f}%/day on each day's balance (now {to_minor_units(invoice.balance, invoice.currency)}"
    basis += f" {invoice.currency})"
    basis += f" for {(today - interest_from).days + 1} days" if interest > 0 else " (no interest)"
    if fee > 0:
        basis += f" + fixed fee {to_minor_units(fee, invoice.currency)}"
    await outbox.add(
        session,
        LateFeeAssessed(
            customer_id=customer.id,
            invoice_id=invoice.id,
            invoice_number=invoice.number or "",
            fee_invoice_id=fee_invoice.id,
            amount=Money.of(fee_invoice.total, invoice.currency).quantize(),
            interest_from=interest_from,
            interest_to=today,
            basis=basis,
        ),
        clock=clock,
    )
    log.info("invoice.late_fee_assessed", invoice_id=str(invoice.id), fee_invoice_id=str(fee_invoice.id))
    return fee_invoice


async def assess_late_fees_by_policy(
    session: AsyncSession, *, actor: Principal, clock: Clock, as_of: datetime, apply_credit: bool = False
) -> dict[str, Any]:
    """Charge late interest and fees on every overdue invoice whose terms say so, once a month."""
    charged, skipped = 0, 0
    for invoice_id in await repository.invoices_due_for_late_fees(session, as_of):
        invoice = await get_invoice(session, invoice_id)
        customer = await get_customer(session, invoice.customer_id) if invoice else None
        if invoice is None or customer is None:
            continue
        try:
            async with session.begin_nested():
                await assess_late_fee(
                    session,
                    actor=actor,
                    clock=clock,
                    invoice_id=invoice_id,
                    as_of=local_date(as_of, customer.time_zone),
                    apply_credit=apply_credit,
                )
            charged += 1
        except Problem:  # e.g. nothing to charge this time: the terms carry no interest for these days
            skipped += 1
    return {"fee_invoices": charged, "skipped": skipped}
