"""The generated AsyncAPI document covers the catalog and holds together."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arflow.events.asyncapi import build_asyncapi, main
from arflow.events.catalog import CATALOG, Event, topic_of
from arflow.money import Money


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_asyncapi()


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping in the document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _pointer(document: dict[str, Any], ref: str) -> Any:
    """What a local `$ref` points at (JSON Pointer, RFC 6901); KeyError when nothing."""
    assert ref.startswith("#/"), f"{ref!r} is not a local reference"
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _deref(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _pointer(document, schema["$ref"])
    return schema


def _reachable_schemas(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every schema reachable from `schema`, following references."""
    seen: set[int] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for mapping in _walk(node):
            yield mapping
            if isinstance(mapping.get("$ref"), str):
                stack.append(_pointer(document, mapping["$ref"]))


def _mentions_money(annotation: Any) -> bool:
    if annotation is Money:
        return True
    return any(_mentions_money(arg) for arg in typing.get_args(annotation))


def _money_fields(event: type[Event]) -> list[str]:
    return [name for name, field in event.model_fields.items() if _mentions_money(field.annotation)]


def _money_schemas(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The Money object schemas a property schema stands for (through refs, anyOf, allOf, items)."""
    schema = _deref(document, schema)
    if schema.get("title") == "Money":
        yield schema
    for keyword in ("anyOf", "allOf", "oneOf"):
        for option in schema.get(keyword, []):
            yield from _money_schemas(document, option)
    if isinstance(schema.get("items"), dict):
        yield from _money_schemas(document, schema["items"])


def test_document_is_asyncapi_3_0_0(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "arflow events"
    assert {server["protocol"] for server in document["servers"].values()} == {"kafka"}


def test_every_event_is_a_message_on_its_publishers_channel(document: dict[str, Any]) -> None:
    channels_by_topic = {channel["address"]: channel for channel in document["channels"].values()}
    for name, event in CATALOG.items():
        channel = channels_by_topic[topic_of(event.publisher)]
        assert name in channel["messages"], f"{name} is missing from {topic_of(event.publisher)}"
        message = _deref(document, channel["messages"][name])
        assert message["name"] == name
        assert message["payload"]["properties"]["type"]["const"] == name
        assert message["x-event-version"] == event.version


def test_no_channel_carries_another_services_event(document: dict[str, Any]) -> None:
    for channel in document["channels"].values():
        for name in channel["messages"]:
            assert topic_of(CATALOG[name].publisher) == channel["address"]


def test_each_publisher_has_one_send_operation_over_all_its_events(document: dict[str, Any]) -> None:
    sent: dict[str, set[str]] = {}
    for operation in document["operations"].values():
        assert operation["action"] == "send"
        channel = _pointer(document, operation["channel"]["$ref"])
        assert channel["address"] not in sent, f"two operations send on {channel['address']}"
        sent[channel["address"]] = {_deref(document, ref)["name"] for ref in operation["messages"]}
    expected: dict[str, set[str]] = {}
    for name, event in CATALOG.items():
        expected.setdefault(topic_of(event.publisher), set()).add(name)
    assert sent == expected


def test_operation_messages_belong_to_the_operations_channel(document: dict[str, Any]) -> None:
    for operation in document["operations"].values():
        channel_ref = operation["channel"]["$ref"]
        for message_ref in operation["messages"]:
            assert message_ref["$ref"].startswith(channel_ref + "/messages/")


def test_every_ref_resolves_within_the_document(document: dict[str, Any]) -> None:
    refs = [node["$ref"] for node in _walk(document) if "$ref" in node]
    assert refs, "the document has no references at all"
    unresolved = []
    for ref in refs:
        try:
            _pointer(document, ref)
        except (KeyError, IndexError, ValueError):
            unresolved.append(ref)
    assert unresolved == []


def test_no_pydantic_defs_are_left_inline(document: dict[str, Any]) -> None:
    assert not [node for node in _walk(document) if "$defs" in node]
    assert not [node["$ref"] for node in _walk(document) if str(node.get("$ref", "")).startswith("#/$defs/")]


def test_money_amounts_are_decimal_strings_in_payloads(document: dict[str, Any]) -> None:
    checked = 0
    for name, event in CATALOG.items():
        data = document["components"]["messages"][name]["payload"]["properties"]["data"]
        for field in _money_fields(event):
            monies = list(_money_schemas(document, data["properties"][field]))
            assert monies, f"{name}.{field} does not lead to a Money schema"
            for money in monies:
                assert money["properties"]["amount"]["type"] == "string", f"{name}.{field} amount is not a string"
                assert money["properties"]["currency"]["type"] == "string"
                checked += 1
    assert checked >= len(CATALOG) // 2, "fewer Money fields than the catalog has; the check is not looking"


def test_no_payload_carries_an_amount_as_a_number(document: dict[str, Any]) -> None:
    for name, message in document["components"]["messages"].items():
        for schema in _reachable_schemas(document, message["payload"]):
            amount = schema.get("properties", {}).get("amount")
            if isinstance(amount, dict) and "type" in amount:
                assert amount["type"] not in ("number", "integer"), f"{name} carries a numeric amount"


def test_messages_are_cloudevents_keyed_by_a_string(document: dict[str, Any]) -> None:
    for name, message in document["components"]["messages"].items():
        assert message["contentType"] == "application/cloudevents+json"
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        assert set(message["headers"]["properties"]) == {"content-type", "ce_type", "traceparent"}
        assert message["headers"]["properties"]["ce_type"]["const"] == name
        assert "data" in message["payload"]["required"]


def test_main_writes_the_document_creating_its_directory(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "nested" / "asyncapi.json"

    assert main([str(target)]) == 0

    assert json.loads(target.read_text(encoding="utf-8")) == build_asyncapi()
    assert main([str(target), "--check"]) == 0


def test_check_reports_a_stale_document(tmp_path: Path) -> None:
    target = tmp_path / "asyncapi.json"
    target.write_text("{}\n", encoding="utf-8")

    assert main([str(target), "--check"]) == 1


def test_money_fields_helper_sees_optional_and_list_money() -> None:
    # Guards the Money test above against silently checking nothing.
    assert _mentions_money(Money | None)
    assert _mentions_money(list[Money])
    assert not _mentions_money(types.NoneType)


def test_the_committed_document_matches_the_catalog() -> None:
    committed = Path(__file__).resolve().parents[4] / "docs" / "asyncapi.json"
    assert json.loads(committed.read_text()) == json.loads(json.dumps(build_asyncapi())), (
        "docs/asyncapi.json is stale: run `make asyncapi`"
    )
