"""Every credit figure as of its business date (issue 21, issue 14 item 4).

The service's clock says 2026-04-15 while the business happened in October 2025 (a firm loading its
history): every invoice here reaches us "today" (issued_at is the clock's now), dated 2025-10-01 and
due 2025-10-16. Nothing may be dated by the arrival.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import httpx

from arflow.events.catalog import CustomerUpserted, InvoiceIssued, PaymentApplied
from arflow.ids import uuid7
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

CNY = "CNY"
ARRIVED = datetime(2026, 4, 15, 2, 0, tzinfo=UTC)  # the FixedClock's now: when the request arrived
INVOICE_DATE = date(2025, 10, 1)
DUE_DATE = date(2025, 10, 16)


def back_dated_invoice(customer_id: UUID) -> InvoiceIssued:
    amount = Money.of("1000.00", CNY)
    invoice_id = uuid7()
    return InvoiceIssued(
        customer_id=customer_id,
        invoice_id=invoice_id,
        invoice_number=f"INV-{invoice_id.hex[-8:]}",
        currency=CNY,
        subtotal=amount,
        tax_total=Money.zero(CNY),
        total=amount,
        invoice_date=INVOICE_DATE,
        due_date=DUE_DATE,
        net_days=15,
        payment_reference="RF18INV2025000001",
        issued_at=ARRIVED,
    )


def applied(issued: InvoiceIssued, on: date) -> PaymentApplied:
    return PaymentApplied(
        customer_id=issued.customer_id,
        application_id=uuid7(),
        payment_id=uuid7(),
        invoice_id=issued.invoice_id,
        invoice_number=issued.invoice_number,
        amount=Money.of("400.00", CNY),
        applied_on=on,
        due_date=issued.due_date,
        invoice_balance_after=Money.of("600.00", CNY),
        days_after_due=(on - issued.due_date).days,
    )


async def customer_with_back_dated_invoice(infra: TestInfrastructure, client: httpx.AsyncClient) -> InvoiceIssued:
    customer_id = uuid7()
    issued = back_dated_invoice(customer_id)
    upserted = CustomerUpserted(customer_id=customer_id, revision=1, legal_name="杭州晓岚咨询有限公司")
    await publish_events(infra.bootstrap, upserted, issued)

    async def arrived() -> bool:
        response = await client.get(f"/credit-files/{customer_id}")
        return response.status_code == 200 and response.json()["invoices_issued"] == 1

    await eventually(arrived, what="the back-dated invoice in the credit file")
    return issued


async def scores_of(client: httpx.AsyncClient, customer_id: UUID) -> list[dict[str, Any]]:
    response = await client.get(f"/credit-files/{customer_id}/scores")
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def test_a_credit_file_as_of_a_date_counts_an_invoice_by_its_invoice_date_not_its_arrival(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    client = credit_scoring.client
    issued = await customer_with_back_dated_invoice(infra, client)
    file = (await client.get(f"/credit-files/{issued.customer_id}", params={"as_of": "2025-10-15"})).json()
    assert (file["invoices_issued"], file["invoices_open"], file["invoices_open_late"]) == (1, 1, 0), file
    before = (await client.get(f"/credit-files/{issued.customer_id}", params={"as_of": "2025-09-30"})).json()
    assert before["invoices_issued"] == 0
    score = await client.get(f"/credit-files/{issued.customer_id}/score", params={"as_of": "2025-10-15"})
    assert score.status_code == 200 and score.json()["as_of"] == "2025-10-15"


async def test_predictions_as_of_a_date_measure_days_past_due_on_that_date_in_a_page(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    client = credit_scoring.client
    issued = await customer_with_back_dated_invoice(infra, client)
    response = await client.get(f"/credit-files/{issued.customer_id}/predictions", params={"as_of": "2025-10-01"})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["object"] == "list" and page["has_more"] is False and page["next_cursor"] is None, page
    (prediction,) = page["data"]
    assert prediction["due_date"] == "2025-10-16" and prediction["days_past_due"] == 0
    later = (await client.get(f"/credit-files/{issued.customer_id}/predictions", params={"as_of": "2025-11-05"})).json()
    assert later["data"][0]["days_past_due"] == 20
    assert (await client.get(f"/credit-files/{issued.customer_id}/predictions", params={"as_of": "2025-09-30"})).json()[
        "data"
    ] == []


async def test_the_models_list_is_a_page(credit_scoring: RunningService) -> None:
    body = (await credit_scoring.client.get("/models")).json()
    assert body["object"] == "list" and body["has_more"] is False and len(body["data"]) >= 2, body


async def test_an_event_driven_rescore_is_dated_by_the_event_not_the_clock(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    client = credit_scoring.client
    issued = await customer_with_back_dated_invoice(infra, client)
    scores = await scores_of(client, issued.customer_id)
    # Scored as of 2025-10-01 the invoice is not due: no 180 days late, no hold.
    assert scores and scores[0]["as_of"] == "2025-10-01", scores
    assert scores[0]["trigger"] == "InvoiceIssued" and scores[0]["credit_hold"] is False, scores[0]
    assert scores[0]["tier"] != "D"

    await publish_events(infra.bootstrap, applied(issued, date(2025, 10, 10)))

    async def paid_part() -> bool:
        body = (await client.get(f"/credit-files/{issued.customer_id}", params={"as_of": "2025-10-10"})).json()
        return bool(body["payment_experiences"][0]["amount_paid"] == "400.00")

    await eventually(paid_part, what="the payment in the file")
    file = (await client.get(f"/credit-files/{issued.customer_id}", params={"as_of": "2025-10-10"})).json()
    assert file["payment_experiences"][0]["amount_outstanding"] == "600.00"
    assert all(s["as_of"] <= "2025-10-10" for s in await scores_of(client, issued.customer_id))


async def test_a_review_as_of_a_date_reviews_what_was_past_due_then_and_a_customer_update_keeps_its_date(
    credit_scoring: RunningService, infra: TestInfrastructure
) -> None:
    client = credit_scoring.client
    issued = await customer_with_back_dated_invoice(infra, client)
    customer_id = issued.customer_id
    response = await client.post("/admin/jobs/credit-review/runs", json={"as_of": "2025-11-05T02:00:00Z"})
    assert response.status_code == 200, response.text
    reviews = (await client.get("/reviews", params={"customer_id": str(customer_id)})).json()["data"]
    assert [r["reviewed_on"] for r in reviews] == ["2025-11-05"], reviews
    file = (await client.get(f"/credit-files/{customer_id}", params={"as_of": "2025-11-05"})).json()
    assert file["max_days_past_due"] == 20 and file["invoices_open_late"] == 1
    current = (await scores_of(client, customer_id))[0]
    assert current["as_of"] == "2025-11-05" and current["trigger"] == "credit_review", current

    # A customer update carries no business date: it must not put a wall-clock score over the review.
    await publish_events(
        infra.bootstrap, CustomerUpserted(customer_id=customer_id, revision=2, legal_name="杭州晓岚咨询有限公司（新）")
    )

    async def renamed() -> bool:
        body = (await client.get(f"/credit-files/{customer_id}", params={"as_of": "2025-11-05"})).json()
        return bool(body["legal_name"] == "杭州晓岚咨询有限公司（新）")

    await eventually(renamed, what="the customer update projected")
    # And a back-dated payment arriving later folds into the current date; the review's date stays current.
    await publish_events(infra.bootstrap, applied(issued, date(2025, 10, 20)))

    async def paid_part() -> bool:
        body = (await client.get(f"/credit-files/{customer_id}", params={"as_of": "2025-11-05"})).json()
        return bool(body["payment_experiences"][0]["amount_paid"] == "400.00")

    await eventually(paid_part, what="the back-dated payment in the file")
    scores = await scores_of(client, customer_id)
    assert all(s["as_of"] <= "2025-11-05" for s in scores), scores
    assert max(s["as_of"] for s in scores) == "2025-11-05"
