import json

import pytest

from arflow.auth import KeyRing, Principal, generate_key, hash_key


def test_key_ring_authenticates_by_hash_only() -> None:
    key = generate_key()
    ring = KeyRing.load(json.dumps([{"name": "crm", "sha256": hash_key(key), "scopes": ["invoicing:read"]}]), None)
    principal = ring.authenticate(key)
    assert principal == Principal("crm", frozenset({"invoicing:read"}))
    assert ring.authenticate(key + "x") is None


@pytest.mark.parametrize(
    ("scopes", "asked", "allowed"),
    [
        ({"invoicing:read"}, "invoicing:read", True),
        ({"invoicing:read"}, "invoicing:write", False),
        ({"invoicing:*"}, "invoicing:admin", True),
        ({"invoicing:*"}, "dunning:read", False),
        ({"*"}, "credit-scoring:admin", True),
    ],
)
def test_scopes(scopes: set[str], asked: str, allowed: bool) -> None:
    assert Principal("k", frozenset(scopes)).allows(asked) is allowed
