"""The creditor's use cases: read the one in force, set it (and tell dunning). Never commits."""

from __future__ import annotations

from decimal import Decimal

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.documents.creditor import Creditor, CreditorSettings
from arflow.events.catalog import FIRM_SUBJECT, CreditorUpdated
from arflow.messaging import outbox
from invoicing.creditor.schemas import CreditorIn
from invoicing.models import CreditorRecord

log = structlog.get_logger("invoicing")
CENT = Decimal("0.01")
FIELDS = ("legal_name", "uscc", "address", "phone", "bank_name", "bank_account_name", "bank_account_number")


async def stored_record(session: AsyncSession, *, lock: bool = False) -> CreditorRecord | None:
    query = select(CreditorRecord).where(CreditorRecord.id == 1)
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()


def as_creditor(record: CreditorRecord | None) -> Creditor | None:
    return None if record is None else Creditor(**{name: getattr(record, name) for name in FIELDS})


async def partial_payment_minimum(session: AsyncSession) -> Decimal | None:
    """The least a part payment on the hosted page may be, or None while the creditor allows only whole ones."""
    record = await stored_record(session)
    return minimum_of(record)


def minimum_of(record: CreditorRecord | None) -> Decimal | None:
    if record is None or record.hosted_partial_payment_minimum is None:
        return None
    return record.hosted_partial_payment_minimum.quantize(CENT)  # (kept as NUMERIC(19, 4))


async def stored_creditor(session: AsyncSession) -> Creditor | None:
    """The creditor as set through the API, or None while it never was."""
    return as_creditor(await stored_record(session))


async def creditor_in_force(session: AsyncSession, settings: CreditorSettings) -> Creditor:
    """The creditor documents are from: the API's, else the settings'; 409 creditor_not_configured while neither."""
    return settings.creditor(await stored_creditor(session))


async def set_creditor(session: AsyncSession, *, actor: Principal, clock: Clock, data: CreditorIn) -> CreditorRecord:
    """Set the creditor (all of it), count the revision, and publish CreditorUpdated for dunning's letters."""
    now = clock.now()
    record = await stored_record(session, lock=True)
    if record is None:
        record = CreditorRecord(id=1, revision=0)
        session.add(record)
    for name in FIELDS:
        setattr(record, name, getattr(data, name))
    record.hosted_partial_payment_minimum = data.hosted_partial_payment_minimum  # (the page's, not dunning's)
    record.revision += 1
    record.updated_at, record.updated_by = now, actor.name
    await session.flush()
    await outbox.add(
        session,
        CreditorUpdated(
            customer_id=FIRM_SUBJECT,
            revision=record.revision,
            **{name: getattr(data, name) for name in FIELDS},
            updated_at=now,
        ),
        clock=clock,
    )
    log.info("creditor.set", revision=record.revision, by=actor.name)
    return record
