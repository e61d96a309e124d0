"""The creditor projection (CreditorUpdated) and the settings it puts in force. Never commits.

Invoicing owns the creditor (`PUT /creditor`); dunning keeps the latest revision. Once one has
arrived it stands in for the ARFLOW_CREDITOR_* settings: `in_force` gives the settings with
the creditor's fields taken from it, so every rule that asks the settings for the creditor
(letters, emails, the tick's guard, the evidence pack) sees the one set through the API.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.events.catalog import CreditorUpdated
from dunning.config import DunningSettings
from dunning.models import CreditorCopy

log = structlog.get_logger("dunning")
# The event's field -> the setting it stands in for.
AS_SETTINGS = {
    "legal_name": "creditor_name",
    "uscc": "creditor_uscc",
    "address": "creditor_address",
    "phone": "creditor_phone",
    "bank_name": "bank_name",
    "bank_account_name": "bank_account_name",
    "bank_account_number": "bank_account_number",
}


async def record_creditor(session: AsyncSession, event: CreditorUpdated) -> None:
    """Keep the latest revision (an older one arriving late changes nothing)."""
    values = {field: getattr(event, field) for field in AS_SETTINGS}
    statement = pg_insert(CreditorCopy).values(id=1, revision=event.revision, updated_at=event.updated_at, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CreditorCopy.id],
            set_={**values, "revision": event.revision, "updated_at": event.updated_at},
            where=CreditorCopy.revision < event.revision,
        )
    )
    log.info("creditor.recorded", revision=event.revision)


async def in_force(session: AsyncSession, settings: DunningSettings) -> DunningSettings:
    """The settings with the creditor set through invoicing's API, once one has arrived; else as they are."""
    stored = (await session.execute(select(CreditorCopy).where(CreditorCopy.id == 1))).scalar_one_or_none()
    if stored is None:
        return settings
    return settings.model_copy(update={setting: getattr(stored, field) for field, setting in AS_SETTINGS.items()})
