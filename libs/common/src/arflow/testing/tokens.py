"""Sign-in tokens for tests: a person with the scopes a test needs, signed with the test session's key pair
(what the people service would issue; every test service accepts them, see arflow.testing.services)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from arflow.testing.infrastructure import TEST_SIGNING_KEY
from arflow.tokens import TokenClaims, sign


def person(username: str, scopes: set[str], *, now: datetime, roles: tuple[str, ...] = ()) -> dict[str, str]:
    """Headers of a request made by `username`, signed in now with `scopes`."""
    claims = TokenClaims(
        subject=str(uuid.uuid5(uuid.NAMESPACE_URL, f"arflow-test-user:{username}")),
        name=username,
        scopes=frozenset(scopes),
        roles=roles,
        session_id=str(uuid.uuid4()),
        expires_at=now + timedelta(minutes=15),
    )
    return {"Authorization": f"Bearer {sign(TEST_SIGNING_KEY[0], claims, issued_at=now, token_id=str(uuid.uuid4()))}"}
