"""What every noun reads of a case: the case by id (require_case / lock_case turn a missing one into a 404),
its items and what they still owe, a customer's open cases.

They sit below every noun (which all use them), so the case's own errors live here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.problems import Conflict, NotFound
from dunning.models import DunningCase, DunningCaseItem


class CaseNotFound(NotFound):
    code, title, title_zh = "case_not_found", "Dunning case not found", "催收案件不存在"


class CaseNotOpen(Conflict):
    code, title, title_zh = "case_not_open", "Dunning case is not open", "催收案件未处于进行中"


def among(column: Any, ids: Sequence[UUID]) -> ColumnElement[bool]:
    """`column = ANY(:ids)`: one array parameter however many ids, so the statement's text is the same for
    every batch and prepared once (an IN list is a new statement for each length)."""
    return column == any_(bindparam(None, list(ids), type_=ARRAY(Uuid)))  # type: ignore[no-any-return]


async def get_case(session: AsyncSession, case_id: UUID, *, for_update: bool = False) -> DunningCase | None:
    """The case (locked when `for_update`), or None."""
    query = select(DunningCase).where(DunningCase.id == case_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def require_case(session: AsyncSession, case_id: UUID) -> DunningCase:
    """The case, or CaseNotFound."""
    case = await get_case(session, case_id)
    if case is None:
        raise CaseNotFound(f"There is no dunning case {case_id}.", detail_zh=f"催收案件 {case_id} 不存在。")
    return case


async def lock_case(session: AsyncSession, case_id: UUID) -> DunningCase:
    """The case, locked for the change a request makes to it (404 when there is none)."""
    await require_case(session, case_id)
    case = await get_case(session, case_id, for_update=True)
    assert case is not None
    return case


async def case_items(session: AsyncSession, case_id: UUID) -> list[DunningCaseItem]:
    query = (
        select(DunningCaseItem)
        .where(DunningCaseItem.case_id == case_id)
        .order_by(DunningCaseItem.created_at, DunningCaseItem.id)
    )
    return list((await session.execute(query)).scalars())


async def open_cases_of(session: AsyncSession, customer_id: UUID) -> list[DunningCase]:
    query = (
        select(DunningCase)
        .where(DunningCase.customer_id == customer_id, DunningCase.status == "open")
        .order_by(DunningCase.id)
    )
    return list((await session.execute(query)).scalars())


async def amount_owed(session: AsyncSession, case_id: UUID) -> Decimal:
    """What a case's open items still owe."""
    return sum((i.amount_due for i in await case_items(session, case_id) if i.status == "open"), Decimal(0))
