"""Dunning, disputes, promises and credit notes reach the credit file through the real broker."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from arflow.events.catalog import (
    CreditNoteIssued,
    DisputeOpened,
    DisputeResolved,
    DunningEscalated,
    InvoiceIssued,
    LegalHandover,
    PromiseToPayBroken,
    PromiseToPayKept,
)
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

CNY = "CNY"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def issued(customer_id: UUID, invoice_id: UUID, total: str = "1000.00") -> InvoiceIssued:
    amount = Money.of(total, CNY)
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{invoice_id.hex[-6:]}",
        currency=CNY,
        subtotal=amount,
        tax_total=Money.zero(CNY),
        total=amount,
        invoice_date=date(2026, 2, 1),
        due_date=date(2026, 3, 3),
        net_days=30,
        payment_reference="RF18INV2026000001",
        issued_at=at(date(2026, 2, 1)),
    )


async def file_when(client: Any, customer_id: Any, condition: Any, what: str, **params: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await client.get(f"/credit-files/{customer_id}", params=params)
        return response.json() if response.status_code == 200 and condition(response.json()) else None

    return await eventually(probe, within=15, what=what)


async def test_dunning_escalations_and_legal_handover_raise_the_level_reached(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id, case_id = uuid7(), uuid7()
    overdue = Money.of("1000.00", CNY)
    letter = DunningEscalated(
        customer_id=customer_id,
        case_id=case_id,
        from_level=2,
        to_level=3,
        channel="letter",
        amount_overdue=overdue,
        escalated_at=at(date(2026, 3, 20)),
    )
    handover = LegalHandover(
        customer_id=customer_id,
        case_id=case_id,
        amount_outstanding=overdue,
        invoice_ids=[uuid7()],
        handed_over_at=at(date(2026, 4, 10)),
    )
    await publish_events(infra.bootstrap, letter, letter, handover)
    file = await file_when(credit_scoring.client, customer_id, lambda f: f["legal_handovers"] == 1, "the handover")
    assert (file["max_dunning_level"], file["dunning_escalations"]) == (6, 1)
    before = await file_when(
        credit_scoring.client, customer_id, lambda f: True, "the file before the handover", as_of="2026-04-01"
    )
    assert (before["max_dunning_level"], before["legal_handovers"]) == (3, 0)


async def test_a_dispute_resolved_before_it_is_seen_opening_ends_resolved(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id, invoice_id, dispute_id = uuid7(), uuid7(), uuid7()
    resolved = DisputeResolved(
        customer_id=customer_id,
        dispute_id=dispute_id,
        invoice_id=invoice_id,
        resolution="customer_wrong",
        resolved_at=at(date(2026, 3, 25)),
    )
    opened = DisputeOpened(
        customer_id=customer_id,
        dispute_id=dispute_id,
        invoice_id=invoice_id,
        amount=Money.of("1000.00", CNY),
        reason="金额有误",
        opened_at=at(date(2026, 3, 10)),
    )
    await publish_events(infra.bootstrap, issued(customer_id, invoice_id), resolved, opened)
    file = await file_when(credit_scoring.client, customer_id, lambda f: f["disputes_opened"] == 1, "the dispute")
    assert file["disputes_open"] == 0
    during = await file_when(
        credit_scoring.client, customer_id, lambda f: True, "the file during the dispute", as_of="2026-03-15"
    )
    assert during["disputes_open"] == 1
    assert during["payment_experiences"][0]["disputed"] is True


async def test_promise_outcomes_count_once_and_broken_wins(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id, case_id = uuid7(), uuid7()
    kept_id, broken_id = uuid7(), uuid7()
    amount = Money.of("500.00", CNY)
    kept = PromiseToPayKept(
        customer_id=customer_id,
        promise_id=kept_id,
        case_id=case_id,
        amount=amount,
        promised_date=date(2026, 3, 10),
        kept_on=date(2026, 3, 9),
    )
    broken = PromiseToPayBroken(
        customer_id=customer_id,
        promise_id=broken_id,
        case_id=case_id,
        amount=amount,
        promised_date=date(2026, 4, 1),
        amount_received=Money.zero(CNY),
        broken_on=date(2026, 4, 2),
    )
    # The second promise is reported kept by mistake after it was broken: broken stands.
    kept_by_mistake = kept.model_copy(update={"promise_id": broken_id})
    await publish_events(infra.bootstrap, kept, kept, broken, kept_by_mistake)
    file = await file_when(
        credit_scoring.client,
        customer_id,
        lambda f: f["promises_kept"] + f["promises_broken"] == 2,
        "both promise outcomes",
    )
    assert (file["promises_kept"], file["promises_broken"]) == (1, 1)


async def test_a_credit_note_lowers_what_is_outstanding(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    customer_id, invoice_id = uuid7(), uuid7()
    note = CreditNoteIssued(
        customer_id=customer_id,
        credit_note_id=uuid7(),
        credit_note_number="CN-2026-000001",
        invoice_id=invoice_id,
        invoice_number=f"INV-2026-{invoice_id.hex[-6:]}",
        amount=Money.of("200.00", CNY),
        reason="服务未完成部分退费",
        issued_on=date(2026, 3, 1),
    )
    await publish_events(infra.bootstrap, note, issued(customer_id, invoice_id), note)
    file = await file_when(
        credit_scoring.client, customer_id, lambda f: f["invoices_issued"] == 1, "the credited invoice"
    )
    (experience,) = file["payment_experiences"]
    assert (experience["amount_credited"], experience["amount_outstanding"]) == ("200.00", "800.00")
    assert file["by_currency"][0]["outstanding"] == "800.00"
