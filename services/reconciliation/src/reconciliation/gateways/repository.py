"""SQL of gateway notifications, and the payment a gateway bill's line became."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Uuid, literal, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import GatewayNotification, Payment, StatementLine


async def insert_notification(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store a notification; False when this provider id was received before (a retry)."""
    inserted = await session.scalar(
        pg_insert(GatewayNotification).values(**values).on_conflict_do_nothing().returning(GatewayNotification.id)
    )
    return inserted is not None


async def notification(session: AsyncSession, provider: str, provider_id: str) -> GatewayNotification | None:
    query = select(GatewayNotification).where(
        GatewayNotification.provider == provider, GatewayNotification.provider_id == provider_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_notifications(
    session: AsyncSession, page: PageParams, *, provider: str | None
) -> list[GatewayNotification]:
    query = paginate(select(GatewayNotification), GatewayNotification.id, page, provider=provider)
    return list((await session.execute(query)).scalars())


async def payment_of_trade(session: AsyncSession, source: str, transaction_id: str) -> UUID | None:
    """The payment already booked for a gateway's transaction: the one its notification made (external_id), else
    the one a gateway bill's line for it (the line's bank_reference) became; one query, each half by index."""
    notified = select(Payment.id, literal(0).label("rank")).where(
        Payment.source == source, Payment.external_id == transaction_id
    )
    billed = (
        select(Payment.id, literal(1).label("rank"))
        .join(StatementLine, StatementLine.payment_id == Payment.id)
        .where(
            StatementLine.bank_reference == transaction_id,
            StatementLine.direction == "credit",
            StatementLine.reversal.is_(False),
            Payment.source == source,
        )
    )
    both = union_all(notified, billed).subquery()
    return await session.scalar(select(both.c.id).order_by(both.c.rank, both.c.id).limit(1))


async def set_outcome(session: AsyncSession, notification_id: UUID, outcome: str, payment_id: UUID | None) -> None:
    await session.execute(
        update(GatewayNotification)
        .where(GatewayNotification.id == notification_id)
        .values(outcome=outcome, payment_id=payment_id)
    )


# What a gateway's payment notice needs to know before it is matched, in one statement (one row): whether the
# notification was stored before (a retry: its outcome and payment), the payment attempt the first of its order
# keys was made for, and the payment its trade already became (payment_of_trade's two halves).
# The attempt is locked, as the checkout job locks it while it asks the gateway and books the answer: a callback
# for the same order then waits here, before it has written anything, instead of inserting the trade's payment
# and then waiting for the attempt while the job waits for that payment (a deadlock).
_NOTICE_FACTS = text(
    """
    WITH stored AS (
        SELECT n.outcome, n.payment_id FROM gateway_notification n
        WHERE n.provider = CAST(:provider AS text) AND n.provider_id = CAST(:provider_id AS text)
    ), attempt AS (
        SELECT a.id, a.order_id, a.invoice_number, a.amount, a.status, a.payment_id, a.updated_at FROM payment_attempt a
        WHERE a.provider = CAST(:provider AS text) AND a.order_key = ANY(CAST(:order_keys AS text[]))
        ORDER BY array_position(CAST(:order_keys AS text[]), a.order_key), a.id
        LIMIT 1
        FOR UPDATE
    ), booked AS (
        SELECT p.id, 0 AS rank FROM payment p
        WHERE p.source = CAST(:provider AS text) AND p.external_id = CAST(:trade AS text)
        UNION ALL
        SELECT p.id, 1 FROM payment p JOIN statement_line l ON l.payment_id = p.id
        WHERE l.bank_reference = CAST(:trade AS text) AND l.direction = 'credit' AND NOT l.reversal
          AND p.source = CAST(:provider AS text)
        ORDER BY rank, id
        LIMIT 1
    )
    SELECT s.outcome AS stored_outcome, s.payment_id AS stored_payment_id,
           a.id AS attempt_id, a.order_id AS attempt_order_id, a.invoice_number AS attempt_invoice_number,
           a.amount AS attempt_amount,
           a.status AS attempt_status, a.payment_id AS attempt_payment_id, a.updated_at AS attempt_updated_at,
           b.id AS booked_payment_id
    FROM (SELECT 1) AS one
    LEFT JOIN stored s ON true LEFT JOIN attempt a ON true LEFT JOIN booked b ON true
    """
).columns(stored_payment_id=Uuid, attempt_id=Uuid, attempt_payment_id=Uuid, booked_payment_id=Uuid)


async def notice_facts(
    session: AsyncSession, *, provider: str, provider_id: str, order_keys: Sequence[str], trade: str
) -> Row[Any]:
    """The stored notification (if a retry), its attempt and the payment its trade became: one row, one query."""
    params = {"provider": provider, "provider_id": provider_id, "order_keys": list(order_keys), "trade": trade}
    return (await session.execute(_NOTICE_FACTS, params)).one()


_AUDIT_RECORDSET = """jsonb_to_recordset(CAST(:{name} AS jsonb)) AS e(
        id uuid, at timestamptz, actor text, actor_kind text, actor_id text, request_id text, action text,
        object_type text, object_id text, reason_code text, comment text, before jsonb, after jsonb)"""
_AUDIT_COLUMNS = (
    "id, at, actor, actor_kind, actor_id, request_id, action, object_type, object_id, reason_code, comment, "
    "before, after"
)

# A gateway's payment booked in one statement: the notification stored with its outcome; the payment, unless its
# trade is booked already (the (source, external_id) constraint: a concurrent notice of the same trade waits for
# the first and then books nothing); its allocations, its event in the outbox and its audit entries with it; the
# payment attempt it pays marked paid (the first payment only). Everything after the notification hangs on the
# rows before it (FROM notified, FROM paid): a notification or a trade seen before writes nothing else.
_BOOK_PAYMENT = text(
    f"""
    WITH notified AS (
        INSERT INTO gateway_notification
            (id, provider, provider_id, event_type, headers, body, outcome, payment_id, received_at)
        VALUES (CAST(:notification_id AS uuid), CAST(:provider AS text), CAST(:provider_id AS text),
                CAST(:event_type AS text), CAST(:headers AS jsonb), CAST(:body AS text), CAST(:outcome AS text),
                CAST(:id AS uuid), CAST(:received_at AS timestamptz))
        ON CONFLICT DO NOTHING
        RETURNING id
    ), paid AS (
        INSERT INTO payment (id, customer_id, amount, currency, received_on, source, payer_name, payer_account,
            reference, match_confidence, created_at, status, external_id, match_shape, match_reasons,
            match_reasons_zh, suggestions, statement_line_id, supersedes_payment_id, reversed_at, reversal_reason,
            refunded_amount, decided_by)
        SELECT CAST(:id AS uuid), CAST(:customer_id AS uuid), CAST(:amount AS numeric), CAST(:currency AS text),
            CAST(:received_on AS date), CAST(:source AS text), CAST(:payer_name AS text),
            CAST(:payer_account AS text), CAST(:reference AS text), CAST(:match_confidence AS numeric),
            CAST(:created_at AS timestamptz), CAST(:status AS text), CAST(:external_id AS text),
            CAST(:match_shape AS text), CAST(:match_reasons AS jsonb), CAST(:match_reasons_zh AS jsonb),
            CAST(:suggestions AS jsonb), CAST(:statement_line_id AS uuid), CAST(:supersedes_payment_id AS uuid),
            CAST(:reversed_at AS timestamptz), CAST(:reversal_reason AS text), CAST(:refunded_amount AS numeric),
            CAST(:decided_by AS text)
        FROM notified
        ON CONFLICT (source, external_id) DO NOTHING
        RETURNING id
    ), allocated AS (
        INSERT INTO allocation (id, payment_id, invoice_id, position, invoice_number, amount, basis)
        SELECT a.id, paid.id, a.invoice_id, a.position, a.invoice_number, a.amount, a.basis
        FROM paid, unnest(CAST(:allocation_ids AS uuid[]), CAST(:allocation_invoices AS uuid[]),
                          CAST(:allocation_positions AS int[]), CAST(:allocation_numbers AS text[]),
                          CAST(:allocation_amounts AS numeric[]), CAST(:allocation_bases AS text[]))
             AS a(id, invoice_id, position, invoice_number, amount, basis)
    ), attempt_paid AS (
        UPDATE payment_attempt SET status = 'paid', payment_id = paid.id, updated_at = CAST(:created_at AS timestamptz)
        FROM paid
        WHERE payment_attempt.id = CAST(:attempt_id AS uuid) AND payment_attempt.payment_id IS NULL
        RETURNING payment_attempt.id
    ), outboxed AS (
        INSERT INTO outbox_message (event_id, topic, key, event_type, payload, headers)
        SELECT CAST(:event_id AS text), CAST(:topic AS text), CAST(:key AS text), CAST(:event_name AS text),
               CAST(:payload AS jsonb), CAST(:event_headers AS jsonb)
        FROM paid
    ), audited AS (
        INSERT INTO audit_entry ({_AUDIT_COLUMNS})
        SELECT e.* FROM paid, {_AUDIT_RECORDSET.format(name="audit")}
    ), attempt_audited AS (
        INSERT INTO audit_entry ({_AUDIT_COLUMNS})
        SELECT e.* FROM attempt_paid, {_AUDIT_RECORDSET.format(name="attempt_audit")}
    )
    SELECT (SELECT count(*) FROM notified) AS notified, (SELECT count(*) FROM paid) AS paid
    """
)


async def book_payment(
    session: AsyncSession,
    *,
    notification: dict[str, Any],
    payment: dict[str, Any],
    allocations: Sequence[dict[str, Any]],
    attempt_id: UUID | None,
    outbox_row: dict[str, Any],
    audit: Sequence[dict[str, Any]],
    attempt_audit: Sequence[dict[str, Any]],
) -> tuple[bool, bool]:
    """Write a gateway's payment in one statement (_BOOK_PAYMENT); (notification stored, payment booked).

    `payment` is the row as payments.service.incoming_record builds it, `outbox_row` as outbox.rows_for
    makes it, the audit entries as arflow.audit's entry_values makes them (jsonable).
    """
    params: dict[str, Any] = {
        "notification_id": notification["id"],
        "provider": notification["provider"],
        "provider_id": notification["provider_id"],
        "event_type": notification["event_type"],
        "headers": json.dumps(notification["headers"]),
        "body": notification["body"],
        "outcome": notification["outcome"],
        "received_at": notification["received_at"],
        **payment,
        "match_reasons": json.dumps(payment["match_reasons"]),
        "match_reasons_zh": json.dumps(payment["match_reasons_zh"]),
        "suggestions": json.dumps(payment["suggestions"]),
        "allocation_ids": [a["id"] for a in allocations],
        "allocation_invoices": [a["invoice_id"] for a in allocations],
        "allocation_positions": [a["position"] for a in allocations],
        "allocation_numbers": [a["invoice_number"] for a in allocations],
        "allocation_amounts": [a["amount"] for a in allocations],
        "allocation_bases": [a["basis"] for a in allocations],
        "attempt_id": attempt_id,
        "event_id": outbox_row["event_id"],
        "topic": outbox_row["topic"],
        "key": outbox_row["key"],
        "event_name": outbox_row["event_type"],
        "payload": json.dumps(outbox_row["payload"]),
        "event_headers": json.dumps(outbox_row["headers"]),
        "audit": json.dumps(list(audit)),
        "attempt_audit": json.dumps(list(attempt_audit)),
    }
    row = (await session.execute(_BOOK_PAYMENT, params)).one()
    return bool(row.notified), bool(row.paid)
