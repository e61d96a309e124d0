"""A payment's candidates found by indexed lookups decide as the whole projection would."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from reconciliation import importing, matching, repository, service
from reconciliation.matching import Incoming

D = Decimal


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def ranked(decision: matching.Decision) -> list[tuple[Any, ...]]:
    return sorted((s.customer_id, s.confidence, s.allocations, s.shape) for s in decision.suggestions)


@pytest.fixture
async def portfolio(reconciliation: Any, reconciliation_books: Any) -> dict[str, Any]:
    core = f"云帆{secrets.randbelow(10**6):06d}"
    named_id, name = await reconciliation_books.customer(f"杭州{core}贸易有限公司")
    other_id, _ = await reconciliation_books.customer()
    cents = secrets.randbelow(90) + 10
    first = await reconciliation_books.issued(named_id, f"7301.{cents}", date(2026, 2, 28))
    second = await reconciliation_books.issued(named_id, f"1288.{cents}", date(2026, 3, 31))
    third = await reconciliation_books.issued(other_id, f"5120.{cents}", date(2026, 3, 31))
    account = f"6222{secrets.randbelow(10**12):012d}"
    response = await reconciliation.client.post(
        "/payer-mappings", json={"payer_account": account, "customer_id": str(other_id)}
    )
    assert response.status_code == 201, response.text
    return {"name": name, "core": core, "invoices": (first, second, third), "account": account}


async def test_a_payments_lookup_decides_as_the_whole_projection_does(
    reconciliation: Any, portfolio: dict[str, Any]
) -> None:
    first, second, third = portfolio["invoices"]
    name, core = portfolio["name"], portfolio["core"]
    total = first.total.amount + second.total.amount
    payments = [
        Incoming(first.total.amount, "CNY", f"货款 {first.invoice_number}"),
        Incoming(first.total.amount, "CNY", f"服务费{full_width(first.invoice_number)}"),
        Incoming(D("100.00"), "CNY", first.payment_reference),
        Incoming(second.total.amount, "CNY", "服务费", payer_name=f"杭州市{core}贸易有限公司"),
        Incoming(total, "CNY", "合并付款", payer_name=name),
        Incoming(second.total.amount, "CNY", None, payer_name=f"{core[:-1]}X贸易有限公司"),  # a typo in the name
        Incoming(third.total.amount, "CNY", "往来款", payer_account=portfolio["account"]),
        Incoming(third.total.amount, "CNY", "no party at all"),
        Incoming(D("0.37"), "CNY", "nobody", payer_name="完全陌生的名字有限公司"),
        Incoming(first.total.amount, "USD", first.invoice_number),
    ]
    rules = service.match_settings(reconciliation.app.state.settings)
    async with reconciliation.app.state.db.unit_of_work() as session:
        whole = await service.load_match_index(session)
        for payment in payments:
            small = await service.match_index_for(session, payment)
            assert len(small.items) < len(whole.items) or len(whole.items) < 10
            expected, found = matching.match(payment, whole, rules), matching.match(payment, small, rules)
            assert (found.best, found.automatic) == (expected.best, expected.automatic), payment
            assert ranked(found) == ranked(expected), payment
    # The cases above are not all "nothing found": the lookups did find what the text names.
    async with reconciliation.app.state.db.unit_of_work() as session:
        decision = matching.match(payments[1], await service.match_index_for(session, payments[1]), rules)
    assert decision.automatic and decision.best is not None
    assert [a.invoice_id for a in decision.best.allocations] == [first.invoice_id]


async def test_a_big_import_preloads_the_projection_and_books_alike(
    reconciliation: Any, reconciliation_books: Any
) -> None:
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "2210.00", date(2026, 2, 28))
    statement = (
        "date,amount,currency,reference,remittance,payer_name,payer_account\n"
        f"2026-03-01,2210.00,CNY,B{secrets.token_hex(6)},货款 {invoice.invoice_number},{name},\n"
        f"2026-03-01,2210.00,CNY,B{secrets.token_hex(6)},货款 {invoice.invoice_number},{name},\n"
    ).encode()
    app = reconciliation.app
    async with app.state.db.unit_of_work() as session:
        record, created = await importing.create_import(
            session,
            clock=app.state.clock,
            data=statement,
            filename=None,
            format="csv",
            profile="generic",
            created_by="t",
        )
        assert created
        record.status = "processing"  # ours: the background worker only claims queued imports
    settings = app.state.settings.model_copy(update={"import_preload_lines": 1})
    summary = await importing.process_import(
        app.state.db, clock=app.state.clock, settings=settings, import_id=record.id
    )
    # The first line pays the invoice; the preloaded index knows it, so the second finds nothing left.
    assert (summary["payments"], summary["matched_automatically"]) == (2, 1)
    async with app.state.db.unit_of_work() as session:
        rows = await repository.allocatable_items_of(session, [customer_id])
    assert [(item.invoice_id, pending) for item, pending in rows] == [(invoice.invoice_id, D("2210.00"))]
