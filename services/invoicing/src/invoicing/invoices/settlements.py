"""A settlement (和解折让) paid at dunning: the rest of each invoice it covers is credited.

Dunning agreed the discount (with a second person's approval above its threshold) and publishes
SettlementPaid once the agreed amount arrived, naming each invoice's balance left then. Invoicing
issues a credit note of that balance (kind `settlement_discount`, dated the day the money was paid),
which closes the invoice as paid: a discount granted is an allowance on the sale, not a bad debt, and
the customer owes nothing more. An invoice no longer open, or credited for a settlement already (a
replayed event), is left as it is; one that owes more than the settlement named (a payment reversed
since) is left open for a person to look at: the discount granted is never exceeded.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import SettlementPaid
from invoicing.ledger import repository
from invoicing.ledger.service import credit_invoice
from invoicing.lookups import get_invoice

log = structlog.get_logger("invoicing")
KIND = "settlement_discount"


async def credit_settled(session: AsyncSession, *, actor: Principal, clock: Clock, event: SettlementPaid) -> None:
    for item in event.invoices:
        invoice = await get_invoice(session, item.invoice_id, for_update=True)
        if invoice is None or invoice.status != "open" or invoice.balance <= 0:
            continue
        if await repository.has_credit_note_of_kind(session, invoice.id, KIND):
            continue
        if invoice.currency != item.write_off.currency or invoice.balance > item.write_off.amount:
            log.warning(
                "settlement.left_open",
                settlement_id=str(event.settlement_id),
                invoice_id=str(invoice.id),
                balance=str(invoice.balance),
                agreed=str(item.write_off.amount),
            )
            continue
        await credit_invoice(
            session,
            actor=actor,
            clock=clock,
            invoice=invoice,
            amount=invoice.balance,
            reason=f"和解折让 Settlement discount (settlement {event.settlement_id}, paid {event.paid_on})",
            issued_on=max(event.paid_on, invoice.invoice_date),
            kind=KIND,
        )
