"""Sign-in tokens: signed by the people service's private key, accepted by any service holding the public key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from arflow.auth import KeyRing, Principal, require_scope
from arflow.problems import install_problem_handlers
from arflow.tokens import TokenClaims, TokenRejected, TokenVerifier, generate_signing_key, sign

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PRIVATE, PUBLIC = generate_signing_key()


def token(*, scopes: set[str], expires_in: timedelta = timedelta(minutes=15), key: str = PRIVATE) -> str:
    claims = TokenClaims(
        subject="0190a0b2-0000-7000-8000-000000000001",
        name="wangfang",
        scopes=frozenset(scopes),
        roles=("collector",),
        session_id="s-1",
        expires_at=NOW + expires_in,
    )
    return sign(key, claims, issued_at=NOW, token_id="t-1")


def test_a_token_verifies_with_the_public_key_and_names_its_user() -> None:
    claims = TokenVerifier(PUBLIC).verify(token(scopes={"dunning:write", "dunning:read"}), now=NOW)
    assert claims.name == "wangfang" and claims.scopes == {"dunning:read", "dunning:write"}
    assert claims.roles == ("collector",) and claims.session_id == "s-1"


@pytest.mark.parametrize(
    "presented",
    [
        token(scopes={"*"}, key=generate_signing_key()[0]),  # another key
        token(scopes={"*"}, expires_in=timedelta(minutes=-5)),  # expired (beyond the 30 s leeway)
        token(scopes={"*"})[:-4] + "AAAA",  # signature edited
        jwt.encode(
            {"sub": "x", "sid": "s", "iat": 0, "exp": 9999999999, "iss": "arflow-people", "aud": "arflow"},
            "a-shared-secret-of-thirty-two-bytes!",
            algorithm="HS256",
        ),  # an HMAC token (algorithm confusion)
    ],
)
def test_a_token_not_ours_or_no_longer_valid_is_rejected(presented: str) -> None:
    with pytest.raises(TokenRejected):
        TokenVerifier(PUBLIC).verify(presented, now=NOW)


def test_a_token_checked_once_is_still_judged_on_its_expiry_every_time() -> None:
    verifier = TokenVerifier(PUBLIC)
    presented = token(scopes={"dunning:read"}, expires_in=timedelta(minutes=15))
    assert verifier.verify(presented, now=NOW).name == "wangfang"
    assert verifier.verify(presented, now=NOW + timedelta(minutes=15)).name == "wangfang"  # remembered, still valid
    with pytest.raises(TokenRejected, match="ExpiredSignatureError"):
        verifier.verify(presented, now=NOW + timedelta(minutes=16))  # remembered, but expired by the clock


def test_only_the_exact_token_is_remembered_and_the_memory_is_bounded() -> None:
    verifier = TokenVerifier(PUBLIC, remembered=2)
    presented = token(scopes={"*"})
    verifier.verify(presented, now=NOW)
    with pytest.raises(TokenRejected):
        verifier.verify(presented[:-4] + "AAAA", now=NOW)  # an edited signature is checked, not looked up
    others = [
        sign(
            PRIVATE,
            TokenClaims("s", f"u{n}", frozenset(), (), f"s-{n}", NOW + timedelta(minutes=5)),
            issued_at=NOW,
            token_id=f"t-{n}",
        )
        for n in range(3)
    ]
    for other in others:
        verifier.verify(other, now=NOW)
    assert len(verifier._verified) == 2 and list(verifier._verified) == others[1:]


class _Clock:
    def now(self) -> datetime:
        return NOW


class _Settings:
    token_public_key = PUBLIC
    token_public_key_file = None


def app_with(settings: object) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.keyring = KeyRing([])
    app.state.settings = settings
    app.state.clock = _Clock()

    @app.get("/cases")
    async def cases(principal: Principal = Depends(require_scope("dunning:read"))) -> dict[str, object]:
        return {"name": principal.name, "kind": principal.kind, "subject": principal.subject}

    return app


async def get(app: FastAPI, bearer: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return await client.get("/cases", headers={"Authorization": f"Bearer {bearer}"})


async def test_a_service_takes_a_signed_in_user_with_the_scopes_of_their_roles() -> None:
    app = app_with(_Settings())
    allowed = await get(app, token(scopes={"dunning:read"}))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {
        "name": "user:wangfang",
        "kind": "user",
        "subject": "0190a0b2-0000-7000-8000-000000000001",
    }
    refused = await get(app, token(scopes={"invoicing:read"}))
    assert refused.status_code == 403 and refused.json()["code"] == "missing_scope"
    assert "user 'wangfang'" in refused.json()["detail"]
    expired = await get(app, token(scopes={"dunning:read"}, expires_in=timedelta(minutes=-1)))
    assert expired.status_code == 401 and expired.json()["code"] == "invalid_token"


async def test_a_service_without_the_public_key_refuses_tokens_and_says_why() -> None:
    class NoKey:
        token_public_key = None
        token_public_key_file = None

    refused = await get(app_with(NoKey()), token(scopes={"dunning:read"}))
    assert refused.status_code == 401 and "ARFLOW_TOKEN_PUBLIC_KEY_FILE" in refused.json()["detail"]
