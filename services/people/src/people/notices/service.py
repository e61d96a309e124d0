"""Approval notices' use cases: hear an approval asked for or decided, and queue who should be told by email.

An approval is asked for on any service (arflow.approvals) and told on the shared approvals topic. Those who
may decide it are found here, where the people are: every active user whose roles grant the approval's approver
scope, never the requester. Each gets one email, and the requester one when it is decided, whatever how often
the events come (one row per approval, kind and person). A person without an email address gets a row all the
same, status skipped, so an auditor sees who could not be told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.events.catalog import ApprovalDecided, ApprovalRequested
from arflow.ids import uuid7
from people.domain import AfterFailure, Person, approvers, username_of
from people.models import ApprovalHeard, ApprovalNotice
from people.notices import repository
from people.notices.wording import LANGUAGE, Asked, Decision, Name, Wording, decision_notice, request_notice

log = structlog.get_logger("people")

NO_EMAIL = "no_email: the user has no email address"
DISABLED = "user_disabled: the user's account is disabled"


async def _heard(session: AsyncSession, approval_id: Any, *, service: str, action: str, now: datetime) -> ApprovalHeard:
    """The approval's row, made if this is the first of its events heard, and locked."""
    await session.execute(
        pg_insert(ApprovalHeard)
        .values(approval_id=approval_id, service=service, action=action, status="pending", heard_at=now)
        .on_conflict_do_nothing(index_elements=["approval_id"])
    )
    heard = await repository.approval_for_update(session, approval_id)
    assert heard is not None
    return heard


def _request_known(heard: ApprovalHeard) -> bool:
    return heard.requested_at is not None


async def _names(session: AsyncSession, *actors: str | None) -> dict[str, Name]:
    usernames = [u for u in (username_of(a) for a in actors) if u]
    shown = await repository.display_names(session, usernames)
    return {a: Name(a, shown.get(username_of(a) or "")) for a in actors if a}


async def _asked(session: AsyncSession, heard: ApprovalHeard) -> Asked:
    names = await _names(session, heard.requested_by)
    assert heard.requested_at is not None and heard.expires_at is not None and heard.requested_by is not None
    return Asked(
        approval_id=heard.approval_id,
        service=heard.service,
        action=heard.action,
        title_zh=heard.title_zh or heard.action,
        title_en=heard.title_en or heard.action,
        subject_type=heard.subject_type or "",
        subject_id=heard.subject_id or "",
        amount=heard.amount,
        currency=heard.currency,
        reason=heard.reason,
        requested_by=names[heard.requested_by],
        requested_at=heard.requested_at,
        expires_at=heard.expires_at,
    )


def _row(heard: ApprovalHeard, kind: str, person: Person, wording: Wording, now: datetime) -> dict[str, Any]:
    skipped = NO_EMAIL if not person.email else (DISABLED if not person.active else None)
    return {
        "id": uuid7(),
        "approval_id": heard.approval_id,
        "kind": kind,
        "user_id": person.id,
        "username": person.username,
        "recipient": person.email,
        "language": LANGUAGE,
        "subject": wording.subject,
        "body_text": wording.text,
        "body_html": wording.html,
        "status": "skipped" if skipped else "pending",
        "attempts": 0,
        "last_error": skipped,
        "next_attempt_at": now,
        "created_at": now,
    }


async def record_approval_requested(
    session: AsyncSession, *, clock: Clock, event: ApprovalRequested, inbox_url: str
) -> int:
    """Keep what was asked and queue one email to each person who may decide it; how many were queued."""
    now = clock.now()
    heard = await _heard(session, event.approval_id, service=event.service, action=event.action, now=now)
    if _request_known(heard):
        return 0  # (the same request told again, under another event id)
    heard.title_zh, heard.title_en = event.title_zh, event.title_en
    heard.subject_type, heard.subject_id = event.subject_type, event.subject_id
    heard.amount = event.amount.amount if event.amount else None
    heard.currency = event.amount.currency if event.amount else None
    heard.reason, heard.requested_by, heard.approver_scope = event.reason, event.requested_by, event.approver_scope
    heard.requested_at, heard.expires_at = event.requested_at, event.expires_at
    await session.flush()
    bound = log.bind(approval_id=str(event.approval_id), action=event.action, scope=event.approver_scope)
    if heard.status != "pending":  # its decision was heard first: only the requester is told
        return await _queue_decision(session, heard, now=now, inbox_url=inbox_url)
    if event.expires_at <= now:
        bound.info("approval_notice.expired_before_heard")
        return 0
    deciders = approvers(
        await repository.active_people(session),
        await repository.role_scopes(session),
        scope=event.approver_scope,
        requested_by=event.requested_by,
    )
    if not deciders:
        bound.warning("approval_notice.no_approver")
        return 0
    asked = await _asked(session, heard)
    rows = [
        _row(heard, "request", p, request_notice(asked, approver=p.display_name, inbox_url=inbox_url), now)
        for p in deciders
    ]
    queued = await repository.queue_notices(session, rows)
    bound.info("approval_notice.queued", approvers=[p.username for p in deciders], new=queued)
    return queued


async def record_approval_decided(
    session: AsyncSession, *, clock: Clock, event: ApprovalDecided, inbox_url: str
) -> int:
    """Tell the requester how their request was decided; emails to approvers not sent yet are called off."""
    now = clock.now()
    heard = await _heard(session, event.approval_id, service=event.service, action=event.action, now=now)
    if heard.status != "pending":
        return 0  # (the same decision told again)
    heard.status, heard.decided_by, heard.decided_at = event.status, event.decided_by, event.decided_at
    heard.decision_comment = event.comment
    await session.flush()
    if not _request_known(heard):
        return 0  # the request, when it comes, tells the requester
    cancelled = await repository.cancel_pending(
        session, heard.approval_id, kind="request", reason=f"decided: {event.status} before it was sent", now=now
    )
    if cancelled:
        log.info("approval_notice.called_off", approval_id=str(heard.approval_id), notices=cancelled)
    return await _queue_decision(session, heard, now=now, inbox_url=inbox_url)


async def _queue_decision(session: AsyncSession, heard: ApprovalHeard, *, now: datetime, inbox_url: str) -> int:
    requester = username_of(heard.requested_by)
    person = await repository.person_named(session, requester) if requester else None
    if person is None:  # an integration or the system asked: nobody to write to
        log.info("approval_notice.requester_has_no_account", approval_id=str(heard.approval_id))
        return 0
    assert heard.decided_by is not None and heard.decided_at is not None
    names = await _names(session, heard.decided_by)
    decision = Decision(heard.status, names[heard.decided_by], heard.decided_at, heard.decision_comment)
    wording = decision_notice(
        await _asked(session, heard), decision, requester=person.display_name, inbox_url=inbox_url
    )
    return await repository.queue_notices(session, [_row(heard, "decision", person, wording, now)])


# --- delivery outcomes (the sender) -------------------------------------------------------


def still_worth_sending(notice: ApprovalNotice, heard: ApprovalHeard | None, now: datetime) -> str | None:
    """Why a request's email should no longer go (decided or expired meanwhile); None: send it."""
    if notice.kind != "request" or heard is None:
        return None
    if heard.status != "pending":
        return f"decided: {heard.status} before it was sent"
    if heard.expires_at is not None and heard.expires_at <= now:
        return "expired before it was sent"
    return None


def record_sent(notice: ApprovalNotice, *, now: datetime) -> None:
    notice.status, notice.sent_at, notice.attempts = "sent", now, notice.attempts + 1
    log.info("approval_notice.sent", notice_id=str(notice.id), to=notice.username, kind=notice.kind)


def record_cancelled(notice: ApprovalNotice, *, reason: str) -> None:
    notice.status, notice.last_error = "cancelled", reason


def record_failure(notice: ApprovalNotice, decision: AfterFailure, *, error: str, now: datetime) -> None:
    """One failed attempt: retried later with last_error kept, or given up (failed)."""
    notice.attempts += 1
    notice.last_error = error[:2000]
    notice.status = decision.status
    notice.next_attempt_at = decision.retry_at or now
    bound = log.bind(notice_id=str(notice.id), to=notice.username, attempts=notice.attempts, error=error)
    if decision.status == "failed":
        bound.error("approval_notice.failed")
    else:
        bound.warning("approval_notice.retry_scheduled", retry_at=str(decision.retry_at))
