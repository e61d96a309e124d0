"""Event handlers of the invoicing service (thin: call the service)."""

from __future__ import annotations

from arflow.events.catalog import CreditScoreChanged, Event, PaymentReceived, PaymentReversed, SettlementPaid
from arflow.messaging.consumer import EventContext, Handler
from invoicing.customers.service import apply_credit_score
from invoicing.deps import SYSTEM
from invoicing.invoices.settlements import credit_settled
from invoicing.ledger.service import apply_payment, reverse_payment


async def on_payment_received(ctx: EventContext, event: PaymentReceived) -> None:
    await apply_payment(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


async def on_payment_reversed(ctx: EventContext, event: PaymentReversed) -> None:
    await reverse_payment(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


async def on_credit_score_changed(ctx: EventContext, event: CreditScoreChanged) -> None:
    await apply_credit_score(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


async def on_settlement_paid(ctx: EventContext, event: SettlementPaid) -> None:
    await credit_settled(ctx.session, actor=SYSTEM, clock=ctx.clock, event=event)


HANDLERS: dict[type[Event], Handler] = {
    PaymentReceived: on_payment_received,
    PaymentReversed: on_payment_reversed,
    CreditScoreChanged: on_credit_score_changed,
    SettlementPaid: on_settlement_paid,
}
