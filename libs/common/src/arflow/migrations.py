"""Alembic support shared by the services' migration environments.

`platform_tables_v1` is a frozen migration step: a service's first revision
calls it to create the platform tables. A later change to those tables gets a
new `platform_tables_v2` step, never an edit of this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine


def platform_tables_v1(op: Any) -> None:
    """Create outbox, inbox, dead-letter, idempotency and job-run tables."""
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", pg.JSONB, nullable=False),
        sa.Column("headers", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_message"),
        sa.UniqueConstraint("event_id", name="uq_outbox_message_event_id"),
    )
    op.create_index("ix_outbox_message_unsent", "outbox_message", ["id"], postgresql_where=sa.text("sent_at IS NULL"))
    op.create_table(
        "inbox_message",
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox_message"),
    )
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text),
        sa.Column("event_type", sa.Text),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("key", sa.Text),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("replayed_at", sa.DateTime(timezone=True)),
        sa.Column("replay_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letter"),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("response_body", pg.JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("principal", "key", name="pk_idempotency_key"),
    )
    op.create_table(
        "job_run",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triggered_by", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("result", pg.JSONB),
        sa.Column("error", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_job_run"),
    )
    op.create_index("ix_job_run_job", "job_run", ["job"])


def platform_tables_v2(op: Any) -> None:
    """Add broker_watermark: the last event the broker acknowledged per partition, to see when it lost events."""
    op.create_table(
        "broker_watermark",
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("topic", "partition", name="pk_broker_watermark"),
    )


def drop_platform_tables_v2(op: Any) -> None:
    """Undo `platform_tables_v2`."""
    op.drop_table("broker_watermark")


def platform_tables_v3(op: Any) -> None:
    """Add audit_entry (arflow.audit): append-only — a trigger refuses any DELETE, and any UPDATE but the one that
    seals an entry into the hash chain (setting chain_index, prev_hash and hash, once)."""
    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_kind", sa.Text, nullable=False),
        sa.Column("actor_id", sa.Text),
        sa.Column("request_id", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("object_type", sa.Text, nullable=False),
        sa.Column("object_id", sa.Text),
        sa.Column("reason_code", sa.Text),
        sa.Column("comment", sa.Text),
        sa.Column("before", pg.JSONB),
        sa.Column("after", pg.JSONB),
        sa.Column("chain_index", sa.BigInteger),
        sa.Column("prev_hash", sa.Text),
        sa.Column("hash", sa.Text),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entry"),
        sa.UniqueConstraint("id", name="uq_audit_entry_id"),
        sa.UniqueConstraint("chain_index", name="uq_audit_entry_chain_index"),
    )
    op.create_index("ix_audit_entry_object", "audit_entry", ["object_type", "object_id"])
    op.create_index("ix_audit_entry_actor", "audit_entry", ["actor"])
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    op.create_index("ix_audit_entry_unsealed", "audit_entry", ["seq"], postgresql_where=sa.text("hash IS NULL"))
    op.execute(
        """
        CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
            RAISE EXCEPTION 'audit entries are never deleted';
          END IF;
          IF OLD.hash IS NOT NULL
             OR (NEW.seq, NEW.id, NEW.at, NEW.actor, NEW.actor_kind, NEW.action, NEW.object_type)
                IS DISTINCT FROM (OLD.seq, OLD.id, OLD.at, OLD.actor, OLD.actor_kind, OLD.action, OLD.object_type)
             OR (NEW.actor_id, NEW.request_id, NEW.object_id, NEW.reason_code, NEW.comment, NEW.before, NEW.after)
                IS DISTINCT FROM
                (OLD.actor_id, OLD.request_id, OLD.object_id, OLD.reason_code, OLD.comment, OLD.before, OLD.after)
          THEN
            RAISE EXCEPTION 'audit entries are append-only: only sealing an unsealed entry is allowed';
          END IF;
          RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
    )


def drop_platform_tables_v3(op: Any) -> None:
    """Undo `platform_tables_v3`."""
    op.drop_table("audit_entry")
    op.execute("DROP FUNCTION audit_entry_append_only()")


def platform_tables_v4(op: Any) -> None:
    """Add approval_policy and approval_request (arflow.approvals)."""
    op.create_table(
        "approval_policy",
        sa.Column("action", sa.Text, primary_key=True),
        sa.Column("threshold", sa.Numeric(19, 4)),
        sa.Column("currency", sa.String(3), nullable=False, server_default="CNY"),
        sa.Column("approver_scope", sa.Text, nullable=False),
        sa.Column("expires_hours", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("action", name="pk_approval_policy"),
    )
    op.create_table(
        "approval_request",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("subject_type", sa.Text, nullable=False),
        sa.Column("subject_id", sa.Text, nullable=False),
        sa.Column("subject_version", sa.Text, nullable=False),
        sa.Column("amount", sa.Numeric(19, 4)),
        sa.Column("currency", sa.String(3)),
        sa.Column("request", pg.JSONB, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_by_id", sa.Text),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_by_id", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_comment", sa.Text),
        sa.Column("result", pg.JSONB),
        sa.PrimaryKeyConstraint("id", name="pk_approval_request"),
    )
    op.create_index(
        "ix_approval_request_pending",
        "approval_request",
        ["requested_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_approval_request_subject", "approval_request", ["subject_type", "subject_id"])


def drop_platform_tables_v4(op: Any) -> None:
    """Undo `platform_tables_v4`."""
    op.drop_table("approval_request")
    op.drop_table("approval_policy")


def drop_platform_tables_v1(op: Any) -> None:
    """Undo `platform_tables_v1` (a service's first revision, downgraded)."""
    for table in ("job_run", "idempotency_key", "dead_letter", "inbox_message", "outbox_message"):
        op.drop_table(table)


def run_migrations_online(target_metadata: Any) -> None:
    """The body of a service's alembic env.py: migrate the URL given in the config."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic needs sqlalchemy.url (set by arflow.migrations.upgrade)")

    def do_run(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=sa.pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    import asyncio

    asyncio.run(run())


def upgrade(service_dir: Path, url: URL, revision: str = "head") -> None:
    """Apply a service's migrations (services/<name>/migrations) to `url`."""
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    command.upgrade(config, revision)
