"""Rows several nouns look up by key, and the require_* that turn a missing one into its typed error.

They sit below every noun (which all use them), so their errors live here too.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.problems import NotFound
from dunning.cases.repository import get_case
from dunning.ladder.repository import policy_versions
from dunning.models import DunningCase, DunningPolicy


class CaseNotFound(NotFound):
    code, title = "case_not_found", "Dunning case not found"


class PolicyNotFound(NotFound):
    code, title = "policy_not_found", "Policy not found"


async def require_case(session: AsyncSession, case_id: UUID) -> DunningCase:
    """The case, or CaseNotFound."""
    case = await get_case(session, case_id)
    if case is None:
        raise CaseNotFound(f"There is no dunning case {case_id}.")
    return case


async def lock_case(session: AsyncSession, case_id: UUID) -> DunningCase:
    """The case, locked for the change a request makes to it (404 when there is none)."""
    await require_case(session, case_id)
    case = await get_case(session, case_id, for_update=True)
    assert case is not None
    return case


async def require_policy(
    session: AsyncSession, code: str, version: int | None = None
) -> tuple[DunningPolicy, list[int]]:
    """A policy's latest version (or the one asked for), with the numbers of all its versions."""
    versions = await policy_versions(session, code)
    chosen = [p for p in versions if version is None or p.version == version]
    if not chosen:
        raise PolicyNotFound(f"There is no policy {code!r}" + (f" version {version}." if version else "."))
    return chosen[0], [p.version for p in versions]
