"""Statement links: the invoice page's token rules (hosted.links) for the statement page at /s/<token>.

128 random bits (22 characters; older links of 256 bits still work), only the SHA-256 kept, found by the hash
and compared again in constant time, revocable and rotated on demand; every link that does not work (unknown,
revoked, expired) answers None, one answer for all. A link works until `expires_on` (the customer's whole
day), LINK_DAYS after the statement's day by default: the reply window, with room for a late answer.

Each link also has a form key: the page's forms carry HMAC(form_key, statement id), and an answer is
taken only with that token, so a form made anywhere but on this link's own page is refused.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock, local_date
from invoicing.hosted.links import TOKEN_BYTES, public_url, token_hash
from invoicing.models import Customer
from invoicing.statements.models import Statement, StatementLink

MINTED = "invoicing.statement_links"  # the links made in this transaction, by statement (session.info)


def url_of(token: str) -> str:
    return public_url(f"/s/{token}")


@dataclass(frozen=True)
class WorkingLink:
    statement_id: UUID
    expires_on: date
    form_key: bytes


async def mint(session: AsyncSession, *, statement_id: UUID, expires_on: date, clock: Clock) -> str:
    """Give a statement a new link (a first one, or in place of the one it had: the old stops working)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    statement = insert(StatementLink).values(
        statement_id=statement_id,
        token_sha256=token_hash(token),
        form_key=secrets.token_bytes(32),
        expires_on=expires_on,
        created_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[StatementLink.statement_id],
        set_={
            "token_sha256": statement.excluded.token_sha256,
            "form_key": statement.excluded.form_key,
            "expires_on": statement.excluded.expires_on,
            "rotated_at": now,
            "revoked_at": None,
        },
    )
    await session.execute(statement)
    url = url_of(token)
    session.info.setdefault(MINTED, {})[statement_id] = url
    return url


def minted_url(session: AsyncSession, statement_id: UUID) -> str | None:
    """The link made for the statement in this transaction, if one was (else it cannot be known)."""
    urls: dict[UUID, str] = session.info.get(MINTED, {})
    return urls.get(statement_id)


async def revoke(session: AsyncSession, *, statement_id: UUID, clock: Clock) -> bool:
    """Stop the statement's link from working; False when it had none."""
    result = await session.execute(
        update(StatementLink)
        .where(StatementLink.statement_id == statement_id)
        .values(revoked_at=clock.now())
        .returning(StatementLink.statement_id)
    )
    session.info.get(MINTED, {}).pop(statement_id, None)
    return result.first() is not None


async def link_of(session: AsyncSession, statement_id: UUID) -> StatementLink | None:
    return await session.get(StatementLink, statement_id)


async def resolve(session: AsyncSession, token: str, *, clock: Clock) -> WorkingLink | None:
    """The link a token opens, or None for any token that does not work (unknown, expired, revoked)."""
    if not 20 <= len(token) <= 100:
        hmac.compare_digest(token_hash(token), bytes(32))  # the same work as for a token of the right length
        return None
    digest = token_hash(token)
    row = (
        await session.execute(
            select(StatementLink, Customer.time_zone)
            .join(Statement, Statement.id == StatementLink.statement_id)
            .join(Customer, Customer.id == Statement.customer_id)
            .where(StatementLink.token_sha256 == digest)
        )
    ).first()
    matches = hmac.compare_digest(row[0].token_sha256 if row else bytes(32), digest)
    if row is None or not matches:
        return None
    link: StatementLink = row[0]
    if link.revoked_at is not None or local_date(clock.now(), row[1]) > link.expires_on:
        return None
    return WorkingLink(statement_id=link.statement_id, expires_on=link.expires_on, form_key=link.form_key)


def form_token(link: WorkingLink) -> str:
    """The token the page's forms carry: bound to this link (its key) and its statement."""
    return hmac.new(link.form_key, f"statement-answer:{link.statement_id}".encode(), sha256).hexdigest()


def form_token_matches(link: WorkingLink, given: str) -> bool:
    return hmac.compare_digest(form_token(link).encode(), given.encode("utf-8", "surrogateescape"))


async def record_view(session: AsyncSession, statement_id: UUID, *, at: datetime) -> None:
    """Count one view of the page (its PDF is not counted: dunning fetches it to attach, nobody looked)."""
    await session.execute(
        update(StatementLink)
        .where(StatementLink.statement_id == statement_id)
        .values(view_count=StatementLink.view_count + 1, last_viewed_at=at)
    )


async def link_by_token(session: AsyncSession, token: str) -> StatementLink | None:
    """The row of a token that exists, whether or not it still works (a renewal asks for it)."""
    if not 20 <= len(token) <= 100:
        return None
    query = select(StatementLink).where(StatementLink.token_sha256 == token_hash(token))
    return (await session.execute(query)).scalar_one_or_none()
