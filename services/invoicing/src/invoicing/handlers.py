"""Event handlers of the invoicing service (thin: call the service)."""

from __future__ import annotations

from arflow.events.catalog import Event, PaymentReceived
from arflow.messaging.consumer import EventContext, Handler
from invoicing import service


async def on_payment_received(ctx: EventContext, event: PaymentReceived) -> None:
    await service.apply_payment(ctx.session, clock=ctx.clock, event=event)


HANDLERS: dict[type[Event], Handler] = {PaymentReceived: on_payment_received}
