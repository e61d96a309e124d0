"""SQL of customers."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import any_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from invoicing.lookups import get_customer
from invoicing.models import Customer, Invoice, UnappliedCredit


async def customer_for_invoicing(
    session: AsyncSession, customer_id: UUID, credit_currency: str | None
) -> tuple[Customer | None, bool]:
    """A customer to invoice and, when a currency is given, whether it has free credit in it (one round trip)."""
    if credit_currency is None:
        return await get_customer(session, customer_id), False
    credit = select(UnappliedCredit.id).where(
        UnappliedCredit.customer_id == customer_id,
        UnappliedCredit.currency == credit_currency,
        UnappliedCredit.remaining > 0,
        UnappliedCredit.reversed_on.is_(None),
    )
    row = (await session.execute(select(Customer, credit.exists()).where(Customer.id == customer_id))).one_or_none()
    return (row[0], bool(row[1])) if row else (None, False)


async def customer_by_external_reference(session: AsyncSession, reference: str) -> Customer | None:
    return (
        await session.execute(select(Customer).where(Customer.external_reference == reference))
    ).scalar_one_or_none()


async def customer_by_uscc(session: AsyncSession, code: str) -> Customer | None:
    """A customer (archived or not) with this 统一社会信用代码 (one, but for codes shared before 0009)."""
    return (
        await session.execute(select(Customer).where(Customer.unified_social_credit_code == code).limit(1))
    ).scalar_one_or_none()


async def list_customers(
    session: AsyncSession,
    page: PageParams,
    *,
    tag: str | None,
    search: str | None,
    include_archived: bool,
    credit_hold: bool | None = None,
    dunning_excluded: bool | None = None,
    external_reference: str | None = None,
    payment_terms_code: str | None = None,
    unified_social_credit_code: str | None = None,
    ids: list[UUID] | None = None,
) -> list[Customer]:
    query = paginate(
        select(Customer),
        Customer.id,
        page,
        external_reference=external_reference or None,
        payment_terms_code=payment_terms_code or None,
        unified_social_credit_code=unified_social_credit_code or None,
    )
    if ids:
        query = query.where(Customer.id.in_(ids))
    if tag:
        query = query.where(any_(Customer.tags) == tag)
    if search:
        pattern = f"%{search}%"
        query = query.where(Customer.legal_name.ilike(pattern) | Customer.short_name.ilike(pattern))
    if not include_archived:
        query = query.where(Customer.archived_at.is_(None))
    if credit_hold is not None:
        query = query.where(Customer.credit_hold.is_(credit_hold))
    if dunning_excluded is not None:
        query = query.where(Customer.dunning_excluded.is_(dunning_excluded))
    return list((await session.execute(query)).scalars())


async def customer_has_ledger_entries(session: AsyncSession, customer_id: UUID) -> bool:
    """True once the customer has an invoice (even a draft) or received money."""
    invoiced = select(Invoice.id).where(Invoice.customer_id == customer_id).limit(1)
    credited = select(UnappliedCredit.id).where(UnappliedCredit.customer_id == customer_id).limit(1)
    return (await session.scalar(select(invoiced.exists() | credited.exists()))) or False


async def delete_customer(session: AsyncSession, customer_id: UUID) -> None:
    await session.execute(delete(Customer).where(Customer.id == customer_id))
