"""The customer projection (CustomerUpserted) and its credit tier (CreditScoreChanged). Never commits."""

from __future__ import annotations

from typing import Any, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import CreditScoreChanged, CustomerUpserted
from dunning import domain
from dunning.actions.repository import pending_actions_for_update
from dunning.actions.service import address_action, complete_action
from dunning.case_events import publish_pause
from dunning.customers import repository
from dunning.lookups import open_cases_of
from dunning.models import Customer

log = structlog.get_logger("dunning")


def customer_view(customer: Customer | None) -> domain.CustomerView | None:
    """What the domain rules see of a projected customer (None: not known yet)."""
    if customer is None:
        return None
    return domain.CustomerView(
        legal_name=customer.legal_name,
        preferred_language=customer.preferred_language,
        contacts=customer.contacts,
        dunning_excluded=customer.dunning_excluded,
    )


async def record_customer(session: AsyncSession, *, actor: Principal, clock: Clock, event: CustomerUpserted) -> None:
    """Keep the customer's latest revision; re-address its pending actions accordingly."""
    values = {
        "id": event.customer_id,
        "revision": event.revision,
        "legal_name": event.legal_name,
        "preferred_language": event.preferred_language,
        "time_zone": event.time_zone,
        "contacts": [c.model_dump(mode="json") for c in event.contacts],
        "dunning_excluded": event.dunning_excluded,
        "tags": list(event.tags),
        "account_manager_email": event.account_manager_email,
        "unified_social_credit_code": event.unified_social_credit_code,
        "updated_at": clock.now(),
    }
    before = await repository.get_customer(session, event.customer_id)
    was_excluded = bool(before and before.dunning_excluded)
    if before is not None:
        session.expunge(before)  # the upsert below changes the row behind the session's back
    if not await repository.upsert_customer(session, values):
        log.info("customer.stale_revision_ignored", customer_id=str(event.customer_id), revision=event.revision)
        return
    log.info("customer.projected", customer_id=str(event.customer_id), revision=event.revision)
    if event.dunning_excluded and not was_excluded:
        for case in await open_cases_of(session, event.customer_id):
            await publish_pause(
                session,
                clock=clock,
                case=case,
                reason="customer_excluded",
                until=None,
                note=event.dunning_exclusion_reason,
            )
    view = domain.CustomerView(
        legal_name=event.legal_name,
        preferred_language=event.preferred_language,
        contacts=cast("list[dict[str, Any]]", values["contacts"]),
        dunning_excluded=event.dunning_excluded,
    )
    for action in await pending_actions_for_update(session, event.customer_id):
        if view.dunning_excluded:
            complete_action(action, status="cancelled", outcome="customer_excluded", now=clock.now())
            log.info("action.cancelled", action_id=str(action.id), reason="customer_excluded")
        elif action.recipient is None and action.channel == "email":
            await address_action(session, clock=clock, action=action, plan=domain.plan_reminder(view), customer=view)


async def record_credit_score(session: AsyncSession, *, actor: Principal, event: CreditScoreChanged) -> None:
    """Keep the customer's latest tier: the next tick moves its open cases to that tier's ladder."""
    applied = await repository.upsert_tier(
        session, customer_id=event.customer_id, tier=event.tier, score=event.score, scored_at=event.scored_at
    )
    log.info("tier.recorded" if applied else "tier.stale_ignored", customer_id=str(event.customer_id), tier=event.tier)
