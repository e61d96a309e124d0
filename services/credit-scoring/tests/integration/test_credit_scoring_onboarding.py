"""A stored onboarding assessment and the client's contracts give a new client its initial limit (issue 14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from arflow.events.catalog import ContractStarted, CustomerUpserted, InvoiceIssued, InvoicePaid
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

CNY = "CNY"
ASSESSMENT = {
    "legal_name": "苏州启明软件有限公司",
    "years_in_business": "12",
    "registered_capital": "10000000",
    "industry": "software",
    "tax_credit_rating": "A",
    "requested_net_days": 30,
    "monthly_billing": "3000.00",
    "assessed_on": "2026-01-05",
}


def contract(customer_id: UUID, monthly: str) -> ContractStarted:
    return ContractStarted(
        customer_id=customer_id,
        contract_id=uuid7(),
        currency=CNY,
        cycle="monthly",
        amount_per_cycle=Money.of(monthly, CNY),
        monthly_amount=Money.of(monthly, CNY),
        net_days=30,
        start_date=date(2026, 2, 1),
        status="active",
        effective_on=date(2026, 2, 1),
        changed_at=datetime(2026, 1, 20, 2, 0, tzinfo=UTC),
    )


def invoice(customer_id: UUID, on: date, amount: str = "5000.00") -> InvoiceIssued:
    invoice_id = uuid7()
    total = Money.of(amount, CNY)
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-{invoice_id.hex[-8:]}",
        currency=CNY,
        subtotal=total,
        tax_total=Money.zero(CNY),
        total=total,
        invoice_date=on,
        due_date=on + timedelta(days=30),
        net_days=30,
        payment_reference="RF18INV2026000001",
        issued_at=datetime(2026, 4, 15, 2, 0, tzinfo=UTC),
    )


def paid(issued: InvoiceIssued) -> InvoicePaid:
    return InvoicePaid(
        customer_id=issued.customer_id,
        invoice_id=issued.invoice_id,
        invoice_number=issued.invoice_number,
        total=issued.total,
        invoice_date=issued.invoice_date,
        due_date=issued.due_date,
        paid_on=issued.due_date,
        days_beyond_terms=0,
    )


async def limit_of(credit_scoring: RunningService, customer_id: UUID, **expected: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def arrived() -> bool:
        response = await credit_scoring.client.get(f"/credit-files/{customer_id}/limit")
        found.update(response.json() if response.status_code == 200 else {})
        return response.status_code == 200 and all((found.get("basis") or {}).get(k) == v for k, v in expected.items())

    await eventually(arrived, what=f"the limit with {expected}")
    return found


async def test_an_assessment_is_stored_once_per_change_and_answers_as_of_its_date(
    credit_scoring: RunningService,
) -> None:
    client, customer_id = credit_scoring.client, uuid7()
    first = await client.put(f"/credit-files/{customer_id}/onboarding", json=ASSESSMENT)
    assert first.status_code == 201, first.text
    assert (first.json()["revision"], first.json()["tier"], first.json()["assessed_on"]) == (1, "A", "2026-01-05")
    again = await client.put(f"/credit-files/{customer_id}/onboarding", json=ASSESSMENT)
    assert (again.status_code, again.json()["revision"]) == (200, 1)  # the same assessment: nothing new
    changed = await client.put(
        f"/credit-files/{customer_id}/onboarding",
        json={**ASSESSMENT, "tax_credit_rating": "D", "assessed_on": "2026-02-10"},
    )
    assert (changed.status_code, changed.json()["revision"], changed.json()["tier"]) == (201, 2, "D")
    standing = await client.get(f"/credit-files/{customer_id}/onboarding", params={"as_of": "2026-02-01"})
    assert (standing.json()["revision"], standing.json()["tier"]) == (1, "A")
    assert (await client.get(f"/credit-files/{customer_id}/onboarding")).json()["revision"] == 2
    before = await client.get(f"/credit-files/{customer_id}/onboarding", params={"as_of": "2026-01-04"})
    assert (before.status_code, before.json()["code"]) == (404, "onboarding_not_found")


async def test_an_assessment_dated_in_the_future_is_refused(credit_scoring: RunningService) -> None:
    response = await credit_scoring.client.put(
        f"/credit-files/{uuid7()}/onboarding", json={**ASSESSMENT, "assessed_on": "2027-01-01"}
    )
    assert (response.status_code, response.json()["code"]) == (422, "as_of_in_future")


async def test_a_new_client_takes_its_limit_from_the_assessment_and_contracts_until_its_history_takes_over(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    client, customer_id = credit_scoring.client, uuid7()
    assert (await client.put(f"/credit-files/{customer_id}/onboarding", json=ASSESSMENT)).status_code == 201
    first = invoice(customer_id, date(2026, 2, 1))
    await publish_events(
        infra.bootstrap,
        CustomerUpserted(customer_id=customer_id, revision=1, legal_name="苏州启明软件有限公司"),
        contract(customer_id, "5000.00"),
        contract(customer_id, "1000.00"),
        first,
    )
    # Tier A assessment; 6,000 a month from two contracts on net 30: 6000 × 1 × 3.0 = 18,000.
    found = await limit_of(credit_scoring, customer_id, basis="onboarding", initial_limit="18000.00")
    assert found["limit"] == "18000.00" and found["basis"]["initial_tier"] == "A", found
    codes = [r["code"] for r in found["basis"]["reasons"]]
    assert codes == ["LIMIT_FROM_ONBOARDING", "EXPECTED_BILLING_FROM_CONTRACTS"], found
    assert "2 份服务合同" in found["basis"]["reasons"][1]["text_zh"]
    file = (await client.get(f"/credit-files/{customer_id}")).json()
    assert file["limit_basis"]["basis"] == "onboarding", file["limit_basis"]

    # Three invoices paid on time: the client's own history sets the limit alone.
    later = [invoice(customer_id, date(2026, 2, 15)), invoice(customer_id, date(2026, 3, 1))]
    await publish_events(infra.bootstrap, *later, paid(first))
    blended = await limit_of(credit_scoring, customer_id, basis="blend", paid_invoices=1)
    assert blended["basis"]["reasons"][-1]["code"] == "LIMIT_BLENDED_WITH_HISTORY"
    await publish_events(infra.bootstrap, *(paid(i) for i in later))
    settled = await limit_of(credit_scoring, customer_id, basis="behaviour", paid_invoices=3)
    assert settled["limit"] == settled["basis"]["behavioural_limit"], settled
    assert [r["code"] for r in settled["basis"]["reasons"]] == ["LIMIT_FROM_BEHAVIOUR"]
