"""SQL of payment terms (a template by code is in lookups)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from invoicing.models import PaymentTerms


async def list_terms(session: AsyncSession, page: PageParams, *, include_archived: bool) -> list[PaymentTerms]:
    query = paginate(select(PaymentTerms), PaymentTerms.id, page)
    if not include_archived:
        query = query.where(PaymentTerms.archived_at.is_(None))
    return list((await session.execute(query)).scalars())
