"""A settlement paid at dunning (SettlementPaid) credits the rest of each invoice it covers (和解折让), once,
never more than the discount agreed: the event arrives through the broker like every other."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from arflow.events.catalog import Allocation, PaymentReceived, SettlementInvoice, SettlementPaid
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

Make = Callable[..., Awaitable[dict[str, Any]]]


def settlement(customer_id: str, paid: str, *items: tuple[dict[str, Any], str]) -> SettlementPaid:
    return SettlementPaid(
        customer_id=uuid.UUID(customer_id),
        settlement_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        amount_paid=Money.of(paid, "CNY"),
        write_off=Money.of(str(sum(Money.of(left, "CNY").amount for _, left in items)), "CNY"),
        invoices=[
            SettlementInvoice(
                invoice_id=uuid.UUID(invoice["id"]), invoice_number=invoice["number"], write_off=Money.of(left, "CNY")
            )
            for invoice, left in items
        ],
        agreed_on=date(2026, 3, 1),
        paid_on=date(2026, 3, 2),
        approved=True,
    )


async def test_the_rest_of_a_settled_invoice_is_credited_once_and_never_beyond_the_discount(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: Make, new_invoice: Make, recorded: Any
) -> None:
    customer = await new_customer()
    settled = await new_invoice(customer["id"], "1000.00")
    reversed_since = await new_invoice(customer["id"], "500.00")
    await publish_events(
        infra.bootstrap,
        PaymentReceived(
            customer_id=uuid.UUID(customer["id"]),
            payment_id=uuid.uuid4(),
            amount=Money.of("700.00", "CNY"),
            received_on=date(2026, 3, 2),
            source="bank_statement",
            allocations=[Allocation(invoice_id=uuid.UUID(settled["id"]), amount=Money.of("700.00", "CNY"))],
        ),
    )

    async def balance(invoice: dict[str, Any]) -> str:
        return str((await invoicing.client.get(f"/invoices/{invoice['id']}")).json()["balance"])

    async def applied() -> bool:
        return await balance(settled) == "300.00"

    await eventually(applied, what="the settlement's payment applied")
    # 700.00 paid for 1,000.00: 300.00 forgiven; the other invoice was agreed at 100.00 left but owes 500.00
    event = settlement(customer["id"], "700.00", (settled, "300.00"), (reversed_since, "100.00"))
    await publish_events(infra.bootstrap, event, event)  # delivered twice

    async def closed() -> dict[str, Any] | None:
        body = (await invoicing.client.get(f"/invoices/{settled['id']}")).json()
        return body if body["status"] == "paid" else None

    shown = await eventually(closed, what="the rest credited")
    assert (shown["amount_paid"], shown["amount_credited"], shown["balance"]) == ("700.00", "300.00", "0.00")
    assert (await invoicing.client.get(f"/invoices/{reversed_since['id']}")).json()["status"] == "open"
    assert await balance(reversed_since) == "500.00"  # more owed than the discount named: left for a person
    notes = await recorded("CreditNoteIssued", invoice_id=settled["id"])
    assert [(n["amount"]["amount"], n["issued_on"]) for n in notes] == [("300.00", "2026-03-02")]
    assert "和解折让" in notes[0]["reason"]
    assert len(await recorded("InvoicePaid", invoice_id=settled["id"])) == 1
