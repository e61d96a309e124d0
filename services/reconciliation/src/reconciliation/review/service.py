"""Review's use cases: a person allocates, confirms, splits or undoes a payment; each decision teaches the engine."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.ids import uuid7
from arflow.money import minor_unit_exponent
from reconciliation import domain
from reconciliation.keys import account_key
from reconciliation.matching import reasons as why
from reconciliation.matching.service import learn_payer
from reconciliation.models import Payment
from reconciliation.open_items import repository as projection
from reconciliation.open_items.service import require_customer
from reconciliation.payments import repository as payments_repository
from reconciliation.payments.errors import PaymentNotFound, allocation_rejected, payment_status_zh
from reconciliation.payments.schemas import AllocationIn
from reconciliation.payments.service import (
    MANUAL_MATCH_CONFIDENCE,
    PaymentRecord,
    allocatable,
    new_allocations,
    publish_received,
    publish_unmatched,
    reverse_payment,
)
from reconciliation.review.errors import (
    AmountNotExact,
    PaymentNotMatched,
    PaymentNotUnmatched,
    SplitDoesNotAddUp,
    SuggestionNotFound,
)
from reconciliation.review.schemas import SplitPayment

log = structlog.get_logger("reconciliation")


async def _lock_unmatched(session: AsyncSession, payment_id: UUID) -> Payment:
    payment = await payments_repository.get_payment(session, payment_id, for_update=True)
    if payment is None:
        raise PaymentNotFound(f"There is no payment {payment_id}.", detail_zh=f"收款 {payment_id} 不存在。")
    if payment.status != "unmatched":
        raise PaymentNotUnmatched(
            f"Payment {payment_id} is {payment.status}, not awaiting review.",
            detail_zh=f"收款 {payment_id} 的状态为{payment_status_zh(payment.status)}，不在待审核队列中。",
        )
    return payment


async def _learn(session: AsyncSession, clock: Clock, payment: Payment) -> None:
    """A person's decision teaches the payer account → customer mapping."""
    if payment.payer_account and payment.customer_id:
        key = account_key(payment.payer_account)
        if key:
            await learn_payer(
                session,
                clock=clock,
                key=key,
                customer_id=payment.customer_id,
                payer_name=payment.payer_name,
                learned_from_payment_id=payment.id,
            )
            log.info("payer_mapping.learned", account=key, customer_id=str(payment.customer_id))


def _require_exact(currency: str, amounts: Sequence[tuple[str, Decimal]]) -> None:
    """Refuse an amount finer than the currency's minor unit: rounded when published, it would create money."""
    for location, amount in amounts:
        if amount != amount.quantize(minor_unit_exponent(currency)):
            message = f"{location} {amount} has more decimals than {currency} allows"
            message_zh = f"{location} 的金额 {amount} 小数位数超过了 {currency} 允许的位数"
            raise AmountNotExact(
                f"{message}.",
                detail_zh=f"{location} 的金额 {amount} 小数位数超过了 {currency} 允许的位数。",
                errors=[
                    {
                        "location": f"body.{location}",
                        "message": message,
                        "message_zh": message_zh,
                        "type": "amount_not_exact",
                    }
                ],
            )


def _allocation_amounts(allocations: Sequence[AllocationIn], prefix: str = "") -> list[tuple[str, Decimal]]:
    return [(f"{prefix}allocations.{n}.amount", a.amount) for n, a in enumerate(allocations)]


async def allocate_unmatched(
    session: AsyncSession,
    *,
    clock: Clock,
    payment_id: UUID,
    customer_id: UUID,
    allocations: list[AllocationIn],
    actor: Principal,
    basis: str = "given",
) -> PaymentRecord:
    """A person says whose a queued payment is and how it is allocated; PaymentReceived follows."""
    decided_by = actor.name
    payment = await _lock_unmatched(session, payment_id)
    _require_exact(payment.currency, _allocation_amounts(allocations))
    customer = await require_customer(session, customer_id, for_update=True)
    items = [allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)]
    try:
        accepted = domain.check_allocations(
            payment.amount, payment.currency, [(a.invoice_id, a.amount) for a in allocations], items
        )
    except domain.AllocationRejected as exc:
        raise allocation_rejected(exc) from None
    payment.customer_id = customer.id
    payment.status = "matched"
    payment.match_confidence = MANUAL_MATCH_CONFIDENCE
    payment.decided_by = decided_by
    rows = new_allocations(payment.id, accepted, basis)
    session.add_all(rows)
    await session.flush()
    await _learn(session, clock, payment)
    await publish_received(session, clock, payment, rows)
    log.info("payment.allocated_by_person", payment_id=str(payment.id), customer_id=str(customer.id))
    return PaymentRecord(payment, rows)


async def confirm_suggestion(
    session: AsyncSession, *, clock: Clock, payment_id: UUID, rank: int, actor: Principal
) -> PaymentRecord:
    """A person confirms one of the engine's suggestions (re-checked against today's balances)."""
    payment = await _lock_unmatched(session, payment_id)
    if not 0 <= rank < len(payment.suggestions):
        raise SuggestionNotFound(
            f"Payment {payment_id} has {len(payment.suggestions)} suggestion(s); there is no number {rank}.",
            detail_zh=f"收款 {payment_id} 共有 {len(payment.suggestions)} 条匹配建议，没有第 {rank} 条。",
        )
    chosen = payment.suggestions[rank]
    allocations = [
        AllocationIn(invoice_id=UUID(a["invoice_id"]), amount=Decimal(a["amount"])) for a in chosen["allocations"]
    ]
    return await allocate_unmatched(
        session,
        clock=clock,
        payment_id=payment_id,
        customer_id=UUID(chosen["customer_id"]),
        allocations=allocations,
        actor=actor,
        basis="confirmed",
    )


async def split_unmatched(
    session: AsyncSession, *, clock: Clock, payment_id: UUID, data: SplitPayment, actor: Principal
) -> list[PaymentRecord]:
    """Divide a queued payment among customers: one PaymentReceived per part, each superseding the original."""
    decided_by = actor.name
    payment = await _lock_unmatched(session, payment_id)
    for n, part in enumerate(data.parts):
        _require_exact(
            payment.currency,
            [(f"parts.{n}.amount", part.amount), *_allocation_amounts(part.allocations, f"parts.{n}.")],
        )
    total = sum((part.amount for part in data.parts), Decimal(0))
    if total != payment.amount:
        raise SplitDoesNotAddUp(
            f"The parts add up to {total}, the payment is {payment.amount} {payment.currency}.",
            detail_zh=f"拆分金额合计为 {total}，而该笔收款为 {payment.amount} {payment.currency}，两者不符。",
        )
    records = []
    for part in data.parts:
        customer = await require_customer(session, part.customer_id, for_update=True)
        items = [
            allocatable(item, pending) for item, pending in await projection.allocatable_items(session, customer.id)
        ]
        try:
            accepted = domain.check_allocations(
                part.amount, payment.currency, [(a.invoice_id, a.amount) for a in part.allocations], items
            )
        except domain.AllocationRejected as exc:
            raise allocation_rejected(exc) from None
        child = _successor(
            payment,
            clock=clock,
            customer_id=customer.id,
            amount=part.amount,
            match_confidence=MANUAL_MATCH_CONFIDENCE,
            status="matched",
            match_shape="split",
            reason=why.SPLIT_PART,
            reason_values=(payment.id, decided_by),
            decided_by=decided_by,
        )
        session.add(child)
        await session.flush()
        rows = new_allocations(child.id, accepted, "given")
        session.add_all(rows)
        await session.flush()
        await publish_received(session, clock, child, rows)
        records.append(PaymentRecord(child, rows))
    payment.status, payment.decided_by = "split", decided_by
    await session.flush()
    log.info("payment.split", payment_id=str(payment.id), parts=len(records))
    return records


def _successor(
    payment: Payment,
    *,
    clock: Clock,
    customer_id: UUID | None,
    amount: Decimal,
    match_confidence: Decimal,
    status: str,
    match_shape: str,
    reason: why.Reason,
    reason_values: tuple[object, ...],
    decided_by: str | None,
) -> Payment:
    """A new payment for (part of) the same money, superseding `payment`: history is never edited."""
    return Payment(
        id=uuid7(),
        customer_id=customer_id,
        amount=amount,
        currency=payment.currency,
        received_on=payment.received_on,
        source=payment.source,
        payer_name=payment.payer_name,
        payer_account=payment.payer_account,
        reference=payment.reference,
        match_confidence=match_confidence,
        created_at=clock.now(),
        status=status,
        refunded_amount=Decimal(0),
        match_shape=match_shape,
        match_reasons=[reason.say(reason_values)],
        match_reasons_zh=[reason.say(reason_values, "zh")],
        suggestions=[],
        statement_line_id=payment.statement_line_id,
        supersedes_payment_id=payment.id,
        decided_by=decided_by,
    )


async def undo_match(session: AsyncSession, *, clock: Clock, payment_id: UUID, actor: Principal) -> Payment:
    """Undo a match: PaymentReversed for it, and the same money back in the review queue as a new payment."""
    decided_by = actor.name
    payment = await payments_repository.get_payment(session, payment_id, for_update=True)
    if payment is None:
        raise PaymentNotFound(f"There is no payment {payment_id}.", detail_zh=f"收款 {payment_id} 不存在。")
    if payment.status != "matched":
        raise PaymentNotMatched(
            f"Payment {payment_id} is {payment.status}; only a matched payment can be undone.",
            detail_zh=f"收款 {payment_id} 的状态为{payment_status_zh(payment.status)}；只有已匹配的收款才能撤销核销。",
        )
    customer = await projection.get_customer(session, payment.customer_id) if payment.customer_id else None
    time_zone = customer.time_zone if customer else DEFAULT_TIME_ZONE
    await reverse_payment(
        session,
        clock=clock,
        payment=payment,
        amount=payment.amount,
        reason="unmatched",
        on=local_date(clock.now(), time_zone),
        actor=actor,
    )
    again = _successor(
        payment,
        clock=clock,
        customer_id=payment.customer_id,
        amount=payment.amount,
        match_confidence=Decimal(0),
        status="unmatched",
        match_shape="unmatched",
        reason=why.MATCH_UNDONE,
        reason_values=(payment.id, decided_by),
        decided_by=None,
    )
    session.add(again)
    await session.flush()
    await publish_unmatched(session, clock, again)
    log.info("payment.match_undone", payment_id=str(payment.id), new_payment_id=str(again.id))
    return again
