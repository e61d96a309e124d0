"""SQL of the credit files: the customers and every fact known of them."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from credit_scoring.models import (
    PORTFOLIO_SUBJECT,
    CreditLimit,
    CreditNote,
    Customer,
    Dispute,
    DunningEscalation,
    PaymentApplication,
    PaymentExperience,
    PaymentReversal,
    PromiseOutcome,
    StatementAnswer,
)


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def get_limit(session: AsyncSession, customer_id: UUID) -> CreditLimit | None:
    return await session.get(CreditLimit, customer_id)


async def list_customers(session: AsyncSession, page: PageParams) -> list[Customer]:
    """Up to limit+1 customers, newest id first, after the cursor."""
    query = paginate(select(Customer).where(Customer.id != PORTFOLIO_SUBJECT), Customer.id, page)
    return list((await session.execute(query)).scalars())


async def all_customers(session: AsyncSession) -> list[Customer]:
    query = select(Customer).where(Customer.id != PORTFOLIO_SUBJECT).order_by(Customer.id)
    return list((await session.execute(query)).scalars())


async def experiences_of(session: AsyncSession, customer_ids: list[UUID]) -> list[PaymentExperience]:
    query = select(PaymentExperience).where(PaymentExperience.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def applications_of(session: AsyncSession, customer_ids: list[UUID]) -> list[PaymentApplication]:
    query = select(PaymentApplication).where(PaymentApplication.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def reversals_of(session: AsyncSession, customer_ids: list[UUID]) -> list[PaymentReversal]:
    query = select(PaymentReversal).where(PaymentReversal.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def credit_notes_of(session: AsyncSession, customer_ids: list[UUID]) -> list[CreditNote]:
    query = select(CreditNote).where(CreditNote.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def dunning_of(session: AsyncSession, customer_ids: list[UUID]) -> list[DunningEscalation]:
    query = select(DunningEscalation).where(DunningEscalation.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def disputes_of(session: AsyncSession, customer_ids: list[UUID]) -> list[Dispute]:
    query = select(Dispute).where(Dispute.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def promises_of(session: AsyncSession, customer_ids: list[UUID]) -> list[PromiseOutcome]:
    query = select(PromiseOutcome).where(PromiseOutcome.customer_id.in_(customer_ids))
    return list((await session.execute(query)).scalars())


async def statement_answers_of(session: AsyncSession, customer_id: UUID) -> list[StatementAnswer]:
    query = select(StatementAnswer).where(StatementAnswer.customer_id == customer_id)
    return list((await session.execute(query)).scalars())
