"""Event handlers of the invoicing service (thin: call the service)."""

from __future__ import annotations

from arflow.events.catalog import CreditScoreChanged, Event, PaymentReceived, PaymentReversed
from arflow.messaging.consumer import EventContext, Handler
from invoicing import service


async def on_payment_received(ctx: EventContext, event: PaymentReceived) -> None:
    await service.apply_payment(ctx.session, clock=ctx.clock, event=event)


async def on_payment_reversed(ctx: EventContext, event: PaymentReversed) -> None:
    await service.reverse_payment(ctx.session, clock=ctx.clock, event=event)


async def on_credit_score_changed(ctx: EventContext, event: CreditScoreChanged) -> None:
    await service.apply_credit_score(ctx.session, clock=ctx.clock, event=event)


HANDLERS: dict[type[Event], Handler] = {
    PaymentReceived: on_payment_received,
    PaymentReversed: on_payment_reversed,
    CreditScoreChanged: on_credit_score_changed,
}
