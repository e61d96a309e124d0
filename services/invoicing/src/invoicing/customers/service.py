"""Customer use cases; publish CustomerUpserted on every change. Never commits."""

from __future__ import annotations

from typing import cast
from uuid import UUID

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import ContactInfo, CreditScoreChanged, CustomerUpserted, Language
from arflow.ids import uuid7
from arflow.messaging import outbox
from invoicing.customers import repository
from invoicing.customers.credit_hold import hold_reason
from invoicing.customers.errors import (
    CustomerConflict,
    CustomerHasLedger,
    DunningExclusionReasonMissing,
    ExternalReferenceTaken,
    UsccInvalid,
    UsccTaken,
)
from invoicing.customers.schemas import CustomerCreate, CustomerUpdate
from invoicing.domain import uscc_fault
from invoicing.lookups import get_customer, require_customer, require_terms_code
from invoicing.models import USCC_UNIQUE_INDEX, Customer

log = structlog.get_logger("invoicing")


def customer_upserted(customer: Customer) -> CustomerUpserted:
    return CustomerUpserted(
        customer_id=customer.id,
        revision=customer.revision,
        legal_name=customer.legal_name,
        short_name=customer.short_name,
        unified_social_credit_code=customer.unified_social_credit_code,
        external_reference=customer.external_reference,
        time_zone=customer.time_zone,
        preferred_language=cast(Language, customer.preferred_language),
        contacts=[
            ContactInfo.model_validate({"language": customer.preferred_language, **c}) for c in customer.contacts
        ],
        tags=list(customer.tags),
        payment_terms_code=customer.payment_terms_code,
        dunning_excluded=customer.dunning_excluded,
        dunning_exclusion_reason=customer.dunning_exclusion_reason,
        credit_hold=customer.credit_hold,
        archived=customer.archived_at is not None,
        account_manager_email=customer.account_manager_email,
    )


async def _require_free_uscc(session: AsyncSession, code: str | None, *, customer_id: UUID | None = None) -> None:
    """Refuse a 统一社会信用代码 that is not valid or that another customer of this creditor has."""
    if code is None:
        return
    fault = uscc_fault(code)
    if fault is not None:
        raise UsccInvalid(code, fault)
    holder = await repository.customer_by_uscc(session, code)
    if holder is not None and holder.id != customer_id:
        raise _uscc_taken(code, holder.id)


def _uscc_taken(code: str, holder_id: UUID | None = None) -> UsccTaken:
    who, who_zh = (f"customer {holder_id}", f"客户 {holder_id}") if holder_id else ("another customer", "另一客户")
    return UsccTaken(
        f"{who} already has unified social credit code {code}; a legal entity is one customer "
        "(restore it if it is archived).",
        detail_zh=f"{who_zh}已使用统一社会信用代码 {code}；一个法人只对应一个客户（如已归档请恢复）。",
    )


def _conflict(error: IntegrityError, code: str | None) -> UsccTaken | CustomerConflict:
    """The typed error of a unique violation: a concurrent customer with the same code, or another field."""
    if USCC_UNIQUE_INDEX in str(error.orig):
        return _uscc_taken(code or "")
    return CustomerConflict("The customer conflicts with an existing one.", detail_zh="该客户与现有客户冲突。")


async def create_customer(session: AsyncSession, *, actor: Principal, clock: Clock, data: CustomerCreate) -> Customer:
    """Create a customer and publish CustomerUpserted."""
    await require_terms_code(session, data.payment_terms_code)
    await _require_free_uscc(session, data.unified_social_credit_code)
    if data.external_reference and await repository.customer_by_external_reference(session, data.external_reference):
        raise ExternalReferenceTaken(
            f"A customer with external reference '{data.external_reference}' already exists.",
            detail_zh=f"外部编号为“{data.external_reference}”的客户已存在。",
        )
    now = clock.now()
    customer = Customer(
        id=uuid7(),
        **data.model_dump(exclude={"contacts"}),
        contacts=[c.model_dump(mode="json") for c in data.contacts],
        revision=1,
        credit_hold=False,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    try:
        await session.flush()
    except IntegrityError as error:
        raise _conflict(error, data.unified_social_credit_code) from None
    await outbox.add(session, customer_upserted(customer), clock=clock)
    log.info("customer.created", customer_id=str(customer.id))
    return customer


async def _changed(session: AsyncSession, *, clock: Clock, customer: Customer, what: str) -> Customer:
    """Bump the revision of a changed customer and publish CustomerUpserted."""
    customer.revision += 1
    customer.updated_at = clock.now()
    await session.flush()
    await outbox.add(session, customer_upserted(customer), clock=clock)
    log.info(what, customer_id=str(customer.id), revision=customer.revision)
    return customer


async def update_customer(
    session: AsyncSession, *, actor: Principal, clock: Clock, customer_id: UUID, data: CustomerUpdate
) -> Customer:
    """Change the fields sent; publish CustomerUpserted with the next revision."""
    customer = await require_customer(session, customer_id, for_update=True)
    changes = data.model_dump(exclude_unset=True, exclude={"contacts"})
    if "contacts" in data.model_fields_set and data.contacts is not None:
        changes["contacts"] = [c.model_dump(mode="json") for c in data.contacts]
    reference: str | None = changes.get("external_reference")
    if (
        reference
        and reference != customer.external_reference
        and await repository.customer_by_external_reference(session, reference)
    ):
        raise ExternalReferenceTaken(
            f"A customer with external reference '{reference}' already exists.",
            detail_zh=f"外部编号为“{reference}”的客户已存在。",
        )
    if changes.get("unified_social_credit_code") not in (None, customer.unified_social_credit_code):
        await _require_free_uscc(session, changes["unified_social_credit_code"], customer_id=customer.id)
    if "payment_terms_code" in changes:
        await require_terms_code(session, changes["payment_terms_code"])
    if changes.get("dunning_excluded") is False and "dunning_exclusion_reason" not in changes:
        changes["dunning_exclusion_reason"] = None
    excluded = changes.get("dunning_excluded", customer.dunning_excluded)
    reason = changes.get("dunning_exclusion_reason", customer.dunning_exclusion_reason)
    if excluded and not reason:
        raise DunningExclusionReasonMissing(
            "dunning_exclusion_reason is required when dunning_excluded is true.",
            detail_zh="dunning_excluded 为 true（免催收）时必须填写 dunning_exclusion_reason（免催收原因）。",
        )
    changed = {k: v for k, v in changes.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    for name, value in changed.items():
        setattr(customer, name, value)
    try:
        return await _changed(session, clock=clock, customer=customer, what="customer.updated")
    except IntegrityError as error:  # the transaction is gone: name the code from the request, not the row
        raise _conflict(error, changes.get("unified_social_credit_code")) from None


async def archive_customer(
    session: AsyncSession, *, actor: Principal, clock: Clock, customer_id: UUID, archived: bool
) -> Customer:
    """Archive (or restore) a customer: it keeps its ledger but takes no new invoices."""
    customer = await require_customer(session, customer_id, for_update=True)
    if (customer.archived_at is not None) == archived:
        return customer
    customer.archived_at = clock.now() if archived else None
    return await _changed(
        session, clock=clock, customer=customer, what="customer.archived" if archived else "customer.restored"
    )


async def delete_customer(session: AsyncSession, *, actor: Principal, clock: Clock, customer_id: UUID) -> None:
    """Remove a customer that was never invoiced; one with a ledger can only be archived."""
    customer = await require_customer(session, customer_id, for_update=True)
    if await repository.customer_has_ledger_entries(session, customer.id):
        raise CustomerHasLedger(
            "The customer has invoices or payments and is never deleted; archive it instead.",
            detail_zh="该客户已有账单或收款，不能删除；请改为归档。",
        )
    customer.archived_at = clock.now()
    customer.revision += 1
    await outbox.add(session, customer_upserted(customer), clock=clock)  # others drop their copy
    await repository.delete_customer(session, customer.id)
    log.info("customer.deleted", customer_id=str(customer.id))


async def apply_credit_score(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: CreditScoreChanged
) -> None:
    """Follow credit-scoring's hold decision; a stale score never undoes a newer one."""
    customer = await get_customer(session, event.customer_id, for_update=True)
    if customer is None:
        log.warning("customer.credit_score_for_unknown_customer", customer_id=str(event.customer_id))
        return
    if customer.credit_hold_scored_at is not None and event.scored_at < customer.credit_hold_scored_at:
        return
    customer.credit_hold_scored_at = event.scored_at
    if event.credit_hold:
        first = event.reasons[0].text_en if event.reasons else None
        customer.credit_hold_reason = hold_reason(event.tier, event.score, first)
    if customer.credit_hold == event.credit_hold:
        return
    customer.credit_hold = event.credit_hold
    if not event.credit_hold:
        customer.credit_hold_reason = None
    await _changed(
        session,
        clock=clock,
        customer=customer,
        what="customer.credit_hold_set" if event.credit_hold else "customer.credit_hold_lifted",
    )
