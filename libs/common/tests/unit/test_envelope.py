from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from arflow.audit import set_actor
from arflow.audit.context import AuditContext, begin_request, end_request
from arflow.auth import Principal
from arflow.events.catalog import CATALOG, InvoicePaid, PaymentUnmatched, topic_of
from arflow.events.envelope import Envelope, wrap
from arflow.messaging.outbox import current_actor
from arflow.money import Money
from arflow.tracing import new_traceparent, trace_id_of

WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def paid() -> InvoicePaid:
    return InvoicePaid(
        customer_id=uuid4(),
        invoice_id=uuid4(),
        invoice_number="INV-2026-000001",
        total=Money.of("300.00", "CNY"),
        invoice_date=date(2026, 2, 1),
        due_date=date(2026, 2, 16),
        paid_on=date(2026, 2, 20),
        days_beyond_terms=4,
    )


def test_envelope_is_a_structured_cloudevent_keyed_by_customer() -> None:
    event = paid()
    traceparent = new_traceparent()
    envelope = wrap(event, occurred_at=WHEN, traceparent=traceparent)
    raw = envelope.to_bytes()
    parsed = Envelope.from_bytes(raw)
    assert parsed.specversion == "1.0"
    assert parsed.type == "InvoicePaid"
    assert parsed.source == "/arflow/invoicing"
    assert parsed.subject == str(event.customer_id)
    assert parsed.traceparent == traceparent
    assert parsed.to_event() == event
    assert dict(envelope.kafka_headers())["traceparent"] == traceparent.encode()


def test_money_in_event_data_is_a_string_never_a_number() -> None:
    data = wrap(paid(), occurred_at=WHEN, traceparent=None).model_dump(mode="json")["data"]
    assert data["total"] == {"amount": "300.00", "currency": "CNY"}


def test_a_payload_that_breaks_the_contract_does_not_parse() -> None:
    envelope = wrap(paid(), occurred_at=WHEN, traceparent=None)
    broken = envelope.model_copy(update={"data": {**envelope.data, "days_beyond_terms": "many"}})
    with pytest.raises(ValidationError):
        broken.to_event()


def test_unmatched_payment_without_customer_is_keyed_by_payment() -> None:
    payment_id = uuid4()
    event = PaymentUnmatched(
        payment_id=payment_id, amount=Money.of("5", "CNY"), received_on=date(2026, 3, 1), source="bank_statement"
    )
    assert event.partition_key() == str(payment_id)


def test_every_event_belongs_to_a_service_topic() -> None:
    assert len(CATALOG) >= 20
    for name, cls in CATALOG.items():
        assert cls.event_type() == name
        assert topic_of(cls.publisher) in {
            "arflow.invoicing",
            "arflow.reconciliation",
            "arflow.dunning",
            "arflow.credit-scoring",
            "arflow.approvals",  # (every service that guards actions tells of its approvals there)
            "arflow.statements",  # (invoicing's statement cycle: issued, confirmed, disputed)
        }


def test_child_span_keeps_the_trace() -> None:
    parent = new_traceparent()
    child = new_traceparent(parent)
    assert trace_id_of(child) == trace_id_of(parent)
    assert child != parent
    assert trace_id_of(new_traceparent("garbage")) is not None


def test_an_event_made_by_an_api_call_names_its_actor_and_one_made_by_nobody_does_not() -> None:
    assert current_actor() is None
    token = begin_request(AuditContext(method="POST", scope={"path": "/x"}, at=datetime(2026, 3, 2, tzinfo=UTC)))
    try:
        assert current_actor() is None  # not authenticated yet
        set_actor(Principal(name="user:wangfang", kind="user", subject="u-1"))
        assert current_actor() == "user:wangfang"
    finally:
        end_request(token)
    assert current_actor() is None
    envelope = wrap(paid(), occurred_at=datetime(2026, 3, 2, tzinfo=UTC), traceparent=None, actor="crm")
    assert b'"actor":"crm"' in envelope.to_bytes()
    anonymous = wrap(paid(), occurred_at=datetime(2026, 3, 2, tzinfo=UTC), traceparent=None)
    assert b'"actor"' not in anonymous.to_bytes()
