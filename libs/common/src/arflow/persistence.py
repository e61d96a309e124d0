"""Tables every service database carries for the platform's own machinery.

outbox_message   events waiting to be (or already) published, in commit order
broker_watermark per topic partition, the last event the broker acknowledged to the relay, and where
inbox_message    (consumer, event id) of every event a consumer has applied
dead_letter      events a consumer gave up on, with the error, replayable
idempotency_key  responses to creating POSTs, keyed by caller and Idempotency-Key
job_run          each run of a scheduled job, with its "as of" instant and result
approval_policy  per guarded action: over what amount a second person approves, and with which scope
approval_request actions waiting for (or decided by) a second person, each frozen as it was asked
audit_entry      every change made through the API: who, when, request, reason, object, before and after;
                 append-only, sealed into a hash chain (arflow.audit)

They are created by the frozen migration steps in `arflow.migrations`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from arflow.db import NAMING_CONVENTION

platform_metadata = MetaData(naming_convention=NAMING_CONVENTION)

outbox_message = Table(
    "outbox_message",
    platform_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("topic", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("headers", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outbox_message_unsent", "id", postgresql_where=text("sent_at IS NULL")),
)

# The broker must still hold, at `offset` of each partition the relay published to, the last
# event it acknowledged there; when it does not it has lost acknowledged events (Tansu
# restarted, a topic recreated), and the relay publishes the outbox's retained events again.
broker_watermark = Table(
    "broker_watermark",
    platform_metadata,
    Column("topic", Text, primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

inbox_message = Table(
    "inbox_message",
    platform_metadata,
    Column("consumer", Text, primary_key=True),
    Column("event_id", Text, primary_key=True),
    Column("event_type", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

dead_letter = Table(
    "dead_letter",
    platform_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("consumer", Text, nullable=False),
    Column("event_id", Text, nullable=True),
    Column("event_type", Text, nullable=True),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("key", Text),
    Column("payload", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replayed_at", DateTime(timezone=True)),
    Column("replay_error", Text),
)

idempotency_key = Table(
    "idempotency_key",
    platform_metadata,
    Column("principal", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("status_code", Integer),
    Column("response_body", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

job_run = Table(
    "job_run",
    platform_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job", Text, nullable=False, index=True),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("triggered_by", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("result", JSONB),
    Column("error", Text),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
)

audit_entry = Table(
    "audit_entry",
    platform_metadata,
    # Insertion order; the chain's order is `chain_index`, given when the entry is sealed.
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("actor_kind", Text, nullable=False),
    Column("actor_id", Text),
    Column("request_id", Text),
    Column("action", Text, nullable=False),
    Column("object_type", Text, nullable=False),
    Column("object_id", Text),
    Column("reason_code", Text),
    Column("comment", Text),
    Column("before", JSONB),
    Column("after", JSONB),
    Column("chain_index", BigInteger, unique=True),
    Column("prev_hash", Text),
    Column("hash", Text),
    Index("ix_audit_entry_object", "object_type", "object_id"),
    Index("ix_audit_entry_actor", "actor"),
    Index("ix_audit_entry_at", "at"),
    Index("ix_audit_entry_unsealed", "seq", postgresql_where=text("hash IS NULL")),
)

approval_policy = Table(
    "approval_policy",
    platform_metadata,
    Column("action", Text, primary_key=True),
    # Over this amount (in `currency`) a second person approves; NULL: every request does.
    Column("threshold", Numeric(19, 4)),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("approver_scope", Text, nullable=False),
    Column("expires_hours", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
)

approval_request = Table(
    "approval_request",
    platform_metadata,
    Column("id", Uuid, primary_key=True),
    Column("action", Text, nullable=False),
    Column("subject_type", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("subject_version", Text, nullable=False),
    Column("amount", Numeric(19, 4)),
    Column("currency", String(3)),
    Column("request", JSONB, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("requested_by_id", Text),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text),
    Column("status", String(10), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", Text),
    Column("decided_by_id", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_comment", Text),
    Column("result", JSONB),
    Index("ix_approval_request_pending", "requested_at", postgresql_where=text("status = 'pending'")),
    Index("ix_approval_request_subject", "subject_type", "subject_id"),
)
