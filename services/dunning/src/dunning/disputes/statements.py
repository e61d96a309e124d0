"""Disputes a customer raises on a statement (StatementDisputed, 有差异), and their settling. Never commits.

One dispute per statement and invoice the answer concerns (`invoices`: those of the disputed lines, or every
invoice the statement showed open when only the balance is disputed), its id derived from the two, so the
event heard twice opens nothing new. Only those invoices stop being chased (DunningPaused, reason `dispute`,
once per case); an invoice not overdue yet joins its case already disputed.

No event ends a statement dispute, so dunning settles it: by hand (`POST /cases/{id}/disputes/{dispute_id}/
resolve`, once the firm and the customer agree), or when the customer confirms a later statement
(StatementConfirmed of a period ending after the disputed one's: the balance it agrees includes what was
disputed, or no longer does) — as credit-scoring holds a dispute standing until then.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID, uuid5

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import StatementConfirmed, StatementDisputed
from dunning.case_events import publish_pause
from dunning.disputes import repository
from dunning.lookups import get_case
from dunning.models import DunningCaseItem

log = structlog.get_logger("dunning")

# The namespace of statement disputes' ids: uuid5(namespace, "<statement id>/<invoice id>").
STATEMENT_DISPUTES = UUID("3c1e4a52-6f0b-5d2a-9e47-2b8d0c6a7f13")


def statement_dispute_id(statement_id: UUID, invoice_id: UUID) -> UUID:
    """The dispute of one invoice on one statement: the same whichever time the answer is heard."""
    return uuid5(STATEMENT_DISPUTES, f"{statement_id}/{invoice_id}")


async def record_statement_dispute(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: StatementDisputed
) -> list[UUID]:
    """Open the disputes of the invoices a statement's answer concerns; the invoices newly disputed by it."""
    numbers = {i.invoice_id: i.invoice_number for i in event.invoices}
    invoice_ids = list(dict.fromkeys([*event.disputed_invoice_ids, *numbers]))
    reason = f"对账单 {event.statement_number} 有差异：{event.comment}"[:2000]
    rows = [
        {
            "dispute_id": statement_dispute_id(event.statement_id, invoice_id),
            "invoice_id": invoice_id,
            "source": "statement",
            "reason": reason,
            "opened_at": event.disputed_at,
            "opened_on": event.business_date,
            "customer_id": event.customer_id,
            "statement_id": event.statement_id,
            "statement_period_end": event.period_end,
        }
        for invoice_id in invoice_ids
    ]
    opened = await repository.open_statement_disputes(session, rows)
    bound = log.bind(statement_id=str(event.statement_id), customer_id=str(event.customer_id))
    if not opened:
        bound.info("statement_dispute.known", invoices=len(invoice_ids))
        return []
    now, cases = clock.now(), defaultdict[UUID, list[DunningCaseItem]](list)
    for item in await repository.open_items_of(session, opened):
        if not item.disputed:
            item.disputed, item.updated_at = True, now
            cases[item.case_id].append(item)
    for case_id, items in cases.items():
        case = await get_case(session, case_id)
        assert case is not None
        note = f"对账单 {event.statement_number}：" + "、".join(i.invoice_number for i in items)
        await publish_pause(session, clock=clock, case=case, reason="dispute", until=None, note=note)
    bound.info("statement_dispute.opened", invoices=len(opened), cases=len(cases))
    return opened


async def settle_statement_disputes(
    session: AsyncSession, *, actor: Principal, clock: Clock, event: StatementConfirmed
) -> int:
    """A later statement confirmed settles the customer's disputes of earlier ones; how many were settled."""
    disputes = await repository.open_statement_disputes_before(session, event.customer_id, event.period_end)
    for dispute in disputes:
        dispute.resolved_at, dispute.resolved_on = event.confirmed_at, event.business_date
        dispute.resolved_by = f"statement {event.statement_number} confirmed"
    if not disputes:
        return 0
    await session.flush()
    now = clock.now()
    for item in await repository.open_items_of(session, list({d.invoice_id for d in disputes})):
        still = await repository.is_invoice_disputed(session, item.invoice_id)  # another dispute may stand
        if item.disputed != still:
            item.disputed, item.updated_at = still, now
    log.info("statement_dispute.settled", customer_id=str(event.customer_id), disputes=len(disputes))
    return len(disputes)
