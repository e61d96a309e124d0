"""An invoice's creation is in the audit trail under the invoice itself (its number and lines in the after-image),
written by the statement that inserts or numbers it: auditing the hot path costs no round trip of its own."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from arflow.testing.services import RunningService
from arflow.testing.tokens import person

Make = Callable[..., Awaitable[dict[str, Any]]]
LINES = [
    {"description": "代理记账服务费 2026年3月", "unit_price": "300.00", "tax_rate": "0.06"},
    {"description": "工商年报", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"},
]
BODY = {"invoice_date": "2026-03-02", "net_days": 30, "lines": LINES}


@contextmanager
def statements_of(invoicing: RunningService) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = invoicing.app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def creation_entries(invoicing: RunningService, invoice_id: str) -> list[dict[str, Any]]:
    trail = (await invoicing.client.get("/audit", params={"object": invoice_id})).json()["data"]
    return [e for e in trail if e["action"] == "invoice.created"]


async def test_an_issued_invoice_is_audited_with_its_number_in_the_statement_that_numbers_it(
    invoicing: RunningService, new_customer: Make
) -> None:
    customer = await new_customer()
    who = {
        **person("zhangwei", {"invoicing:read", "invoicing:write"}, now=invoicing.app.state.clock.now()),
        "Idempotency-Key": secrets.token_hex(8),
    }
    with statements_of(invoicing) as seen:
        made = await invoicing.client.post(
            "/invoices", json={**BODY, "customer_id": customer["id"], "issue": True}, headers=who
        )
    assert made.status_code == 201, made.text
    invoice = made.json()
    assert not [s for s in seen if s.startswith("INSERT INTO audit_entry")]  # no statement of its own
    (entry,) = await creation_entries(invoicing, invoice["id"])
    assert entry["actor"] == "user:zhangwei" and entry["object_type"] == "invoice"
    after = entry["after"]
    assert after["number"] == invoice["number"] and after["payment_reference"] == invoice["payment_reference"]
    assert after["status"] == "open" and after["customer_id"] == customer["id"]
    assert [line["description"] for line in after["lines"]] == [line["description"] for line in LINES]
    assert [line["gross_amount"] for line in after["lines"]] == ["318.00", "100.00"]


async def test_a_draft_is_audited_by_the_statement_that_inserts_it(
    invoicing: RunningService, new_customer: Make
) -> None:
    customer = await new_customer()
    made = await invoicing.client.post("/invoices", json={**BODY, "customer_id": customer["id"]})
    assert made.status_code == 201, made.text
    (entry,) = await creation_entries(invoicing, made.json()["id"])
    assert entry["after"]["status"] == "draft" and entry["after"]["number"] is None
    assert len(entry["after"]["lines"]) == 2
