"""CloudEvents 1.0 structured-mode envelope for Kafka.

The Kafka value is the JSON envelope; the key is the customer id; the content
type and trace parent travel as headers too, so tools that only read headers
can route and trace without parsing the body.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from arflow.events.catalog import Event, event_class

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


class Envelope(BaseModel):
    """The CloudEvents attributes plus arflow's `dataversion`, `traceparent` and `actor` extensions.

    `actor`: who made the change the event tells of, when an API call did (an integration's key name or
    `user:<username>`); absent for what events and jobs cause.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: str = "1.0"
    id: str
    source: str
    type: str
    time: AwareDatetime
    subject: str
    datacontenttype: str = "application/json"
    dataversion: int = 1
    traceparent: str | None = None
    actor: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def to_event(self) -> Event:
        """Parse `data` into the catalog model for `type` (raises on unknown or invalid)."""
        return event_class(self.type).model_validate(self.data)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [("content-type", CONTENT_TYPE.encode()), ("ce_type", self.type.encode())]
        if self.traceparent:
            headers.append(("traceparent", self.traceparent.encode()))
        return headers

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate(json.loads(raw))


def wrap(
    event: Event,
    *,
    occurred_at: datetime,
    traceparent: str | None,
    event_id: str | None = None,
    actor: str | None = None,
) -> Envelope:
    """Put an event into its envelope; `occurred_at` comes from the caller's clock."""
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=f"/arflow/{event.publisher}",
        type=event.event_type(),
        time=occurred_at,
        subject=event.partition_key(),
        dataversion=event.version,
        traceparent=traceparent,
        actor=actor,
        data=event.model_dump(mode="json"),
    )
