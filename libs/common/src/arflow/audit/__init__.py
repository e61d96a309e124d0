"""The audit trail: every change made through a service's API, who made it and why, kept so it can be proven.

Each entry says who (the API key's integration or the signed-in person), when (the
service's clock), the request (its trace id), what (an action on an object), why (a
reason code and comment where the call gives them) and the object before and after.

Entries are written in the transaction of the change they record, so a change that
rolls back leaves none and a committed one always has one:

- ORM changes are recorded by themselves: every row an API call inserts, updates or
  deletes through the ORM becomes an entry with its columns before and after (only the
  changed ones for an update);
- set-based writes (Core INSERT/UPDATE) call `record` with what they changed, or, on a hot path, write
  the entry in their own statement (`entry_cte` with `entry_params`: no round trip of its own);
- a state-changing call that committed a write and recorded nothing else still gets an
  entry for the call itself (method, path, object from the path), so no committed change
  is anonymous.

Changes that follow from events and jobs are not entries: each is traced by the event
that caused it (inbox, outbox) and the job run.

The table is append-only (a trigger refuses DELETE, TRUNCATE and any UPDATE but the
sealing) and tamper-evident: `seal` chains sealed entries by SHA-256, each hash covering
the entry and the previous hash, and `verify` recomputes the chain, so an entry edited or
removed behind the trigger's back (a superuser can disable it) breaks the chain at that
entry.
"""

from arflow.audit.capture import install, snapshot
from arflow.audit.chain import Verification, seal, verify
from arflow.audit.context import (
    NO_ENTRY,
    AuditContext,
    begin_request,
    current,
    end_request,
    entry_cte,
    entry_params,
    jsonable,
    record,
    set_actor,
    set_reason,
)

__all__ = [
    "NO_ENTRY",
    "AuditContext",
    "Verification",
    "begin_request",
    "current",
    "end_request",
    "entry_cte",
    "entry_params",
    "install",
    "jsonable",
    "record",
    "seal",
    "set_actor",
    "set_reason",
    "snapshot",
    "verify",
]
