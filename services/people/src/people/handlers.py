"""Event handlers of the people service (thin: call the nouns' services), wired in one dict."""

from __future__ import annotations

from arflow.events.catalog import ApprovalDecided, ApprovalRequested, Event
from arflow.messaging.consumer import EventContext, Handler
from people.config import PeopleSettings
from people.notices import service as notices


def handlers_for(settings: PeopleSettings) -> dict[type[Event], Handler]:
    """The handlers, told where the console's approvals inbox is (every notice links to it)."""
    inbox_url = settings.console_approvals_url

    async def on_approval_requested(ctx: EventContext, event: ApprovalRequested) -> None:
        await notices.record_approval_requested(ctx.session, clock=ctx.clock, event=event, inbox_url=inbox_url)

    async def on_approval_decided(ctx: EventContext, event: ApprovalDecided) -> None:
        await notices.record_approval_decided(ctx.session, clock=ctx.clock, event=event, inbox_url=inbox_url)

    return {ApprovalRequested: on_approval_requested, ApprovalDecided: on_approval_decided}
