"""Service-layer rules that need no database: how a decision becomes rows and an event, and which problem
answers each rejection the pure layers raise (the wire's codes must not depend on a dict being complete)."""

from __future__ import annotations

import ast
import inspect
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import ModuleType

import pytest

from arflow.clock import FixedClock
from arflow.events.catalog import PaymentReceived, PaymentUnmatched
from reconciliation import domain
from reconciliation.gateways import providers
from reconciliation.gateways.errors import SIGNATURE_REJECTED
from reconciliation.matching import reasons as why
from reconciliation.matching.engine import Decision, Suggestion
from reconciliation.matching.index import Allocation
from reconciliation.payments.errors import allocation_rejected
from reconciliation.payments.service import IncomingPayment, incoming_record

CLOCK = FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
D = Decimal


def _codes_raised(module: ModuleType, exception: str) -> set[str]:
    """The `code="…"` literals at every `raise <exception>(…)` in a module's source."""
    codes: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == exception:
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    codes.add(str(keyword.value.value))
    return codes


@pytest.mark.parametrize("code", sorted(_codes_raised(domain, "AllocationRejected")))
def test_each_allocation_rejection_answers_422_with_its_own_code(code: str) -> None:
    problem = allocation_rejected(domain.AllocationRejected("Invoice X is named twice.", code=code))
    assert (problem.code, problem.status, problem.detail) == (code, 422, "Invoice X is named twice.")


@pytest.mark.parametrize("code", sorted(_codes_raised(providers, "SignatureRejected") | {"signature_invalid"}))
def test_each_signature_rejection_answers_400_with_its_own_code(code: str) -> None:
    problem = SIGNATURE_REJECTED[code]("The stripe notification is rejected: no v1 signature matches.")
    assert (problem.code, problem.status, problem.title) == (code, 400, "Signature rejected")


def _incoming() -> IncomingPayment:
    return IncomingPayment(
        amount=D("300.00"),
        currency="CNY",
        received_on=date(2026, 3, 1),
        source="bank_statement",
        payer_name="杭州云帆科技有限公司",
        reference="INV-2026-000123",
        external_id="line-1",
    )


def _suggestion(customer_id: uuid.UUID, invoice_id: uuid.UUID, confidence: float) -> Suggestion:
    evidence = ((0.85, why.REFERENCE_NAMED, (("INV-2026-000123",),)),)
    allocations = (Allocation(invoice_id, "INV-2026-000123", D("300.00")),)
    return Suggestion(customer_id, allocations, confidence, evidence, "one_to_one")


def test_a_sure_decision_books_its_allocations_and_publishes_payment_received() -> None:
    customer_id, invoice_id = uuid.uuid4(), uuid.uuid4()
    best = _suggestion(customer_id, invoice_id, 0.955)
    record = incoming_record(clock=CLOCK, incoming=_incoming(), decision=Decision(best, True, (best,)))
    assert record.payment["status"] == "matched" and record.payment["customer_id"] == customer_id
    assert record.payment["decided_by"] == "matching engine"
    assert record.payment["match_reasons"] == ["remittance names INV-2026-000123"]
    assert record.payment["match_reasons_zh"] == ["附言写明 INV-2026-000123"]
    assert [(a["invoice_id"], a["amount"], a["position"]) for a in record.allocations] == [(invoice_id, D("300.00"), 1)]
    assert isinstance(record.event, PaymentReceived)
    assert record.event.payment_id == record.payment["id"]
    assert [a.invoice_id for a in record.event.allocations] == [invoice_id]


def test_an_unsure_decision_queues_the_payment_with_its_suggestions_and_allocates_nothing() -> None:
    customer_id, invoice_id = uuid.uuid4(), uuid.uuid4()
    best = _suggestion(customer_id, invoice_id, 0.85)
    record = incoming_record(clock=CLOCK, incoming=_incoming(), decision=Decision(best, False, (best,)))
    assert record.payment["status"] == "unmatched" and record.payment["decided_by"] is None
    assert record.allocations == []
    assert isinstance(record.event, PaymentUnmatched)
    [suggested] = record.event.suggestions
    assert (suggested.customer_id, suggested.invoice_ids) == (customer_id, [invoice_id])


def test_money_nobody_is_suggested_for_is_queued_without_a_customer() -> None:
    record = incoming_record(clock=CLOCK, incoming=_incoming(), decision=Decision(None, False, ()))
    assert record.payment["customer_id"] is None and record.payment["match_shape"] == "unmatched"
    assert isinstance(record.event, PaymentUnmatched) and record.event.suggestions == []
