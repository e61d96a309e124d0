"""Bearer API keys with scopes, one set for the whole platform; and people signed in with a token.

Keys are never stored: only their SHA-256. The list comes from
ARFLOW_API_KEYS (inline JSON) and/or ARFLOW_API_KEYS_FILE, each entry
`{"name": "crm", "sha256": "<hex>", "scopes": ["invoicing:read", ...]}`.
A scope is `<service>:<read|write|admin>`; `<service>:*` and `*` grant more.

A person signs in at the people service and presents the token it signs
(arflow.tokens) instead of a key: every service verifies it with the public
key (ARFLOW_TOKEN_PUBLIC_KEY_FILE) and the caller is that user, with the
scopes of the user's roles.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from arflow.audit.context import set_actor
from arflow.problems import Forbidden, Unauthorized
from arflow.tokens import TokenRejected, TokenVerifier, looks_like_token

KEY_PREFIX = "arf_"


class MissingApiKey(Unauthorized):
    code = "missing_api_key"


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"


class MissingScope(Forbidden):
    code = "missing_scope"


class InvalidToken(Unauthorized):
    code = "invalid_token"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an integration's API key (its name) or a signed-in user, and what it may do."""

    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    kind: Literal["integration", "user"] = "integration"
    # A user's id and the session its token belongs to (None for an API key).
    subject: str | None = None
    session_id: str | None = None

    def allows(self, scope: str) -> bool:
        service = scope.split(":", 1)[0]
        return "*" in self.scopes or scope in self.scopes or f"{service}:*" in self.scopes


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    scopes: frozenset[str]


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyRing:
    """The configured API keys, looked up by hash in constant time per entry."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = keys

    @classmethod
    def load(cls, inline: str | None, path: Path | None) -> KeyRing:
        entries: list[dict[str, Any]] = []
        if inline:
            entries.extend(json.loads(inline))
        if path:
            entries.extend(json.loads(Path(path).read_text()))
        return cls([ApiKey(e["name"], e["sha256"].lower(), frozenset(e.get("scopes", []))) for e in entries])

    def authenticate(self, presented: str) -> Principal | None:
        digest = hash_key(presented)
        found = None
        for key in self._keys:
            if hmac.compare_digest(key.sha256, digest):
                found = key
        return Principal(found.name, found.scopes) if found else None


def _signed_in(request: Request, token: str) -> Principal:
    """The user a sign-in token names, verified with the people service's public key."""
    state = request.app.state
    verifier: TokenVerifier | None = getattr(state, "token_verifier", None)
    if verifier is None:
        settings = state.settings
        verifier = TokenVerifier.from_settings(
            getattr(settings, "token_public_key", None), getattr(settings, "token_public_key_file", None)
        )
        if verifier is None:
            raise InvalidToken(
                "This service accepts no sign-in tokens: no ARFLOW_TOKEN_PUBLIC_KEY_FILE is set. Use an API key.",
                detail_zh="本服务未配置 ARFLOW_TOKEN_PUBLIC_KEY_FILE，不接受登录令牌，请使用 API 密钥。",
                headers={"WWW-Authenticate": 'Bearer realm="arflow", error="invalid_token"'},
            )
        state.token_verifier = verifier
    try:
        claims = verifier.verify(token, now=state.clock.now())
    except TokenRejected as exc:
        raise InvalidToken(
            "The sign-in token is not valid or has expired: sign in again"
            + (" (expired)." if exc.reason == "ExpiredSignatureError" else "."),
            detail_zh="登录令牌无效或已过期，请重新登录。",
            headers={"WWW-Authenticate": 'Bearer realm="arflow", error="invalid_token"'},
        ) from exc
    return Principal(
        name=f"user:{claims.name}",
        scopes=claims.scopes,
        kind="user",
        subject=claims.subject,
        session_id=claims.session_id,
    )


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingApiKey(
            "Send an API key as 'Authorization: Bearer <key>'.",
            detail_zh="请以 'Authorization: Bearer <key>' 发送 API 密钥。",
            headers={"WWW-Authenticate": 'Bearer realm="arflow"'},
        )
    return token.strip()


# Declares the scheme in every service's OpenAPI (Swagger UI's "Authorize"); the header is read by _bearer_token,
# which words the 401s itself.
API_KEY_SCHEME = HTTPBearer(
    scheme_name="ApiKey",
    bearerFormat="arf_… or a sign-in token",
    description="An arflow API key (`Authorization: Bearer arf_…`) or the token the people service gives a person "
    "who signs in (POST /sessions). Scopes are `<service>:<read|write|admin>`.",
    auto_error=False,
)


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: the caller must hold a key granting `scope`."""

    async def dependency(
        request: Request, _declared: HTTPAuthorizationCredentials | None = Security(API_KEY_SCHEME)
    ) -> Principal:
        presented = _bearer_token(request)
        if looks_like_token(presented):
            principal = _signed_in(request, presented)
        else:
            keyring: KeyRing = request.app.state.keyring
            found = keyring.authenticate(presented)
            if found is None:
                raise InvalidApiKey(
                    "The API key is not valid.",
                    detail_zh="API 密钥无效。",
                    headers={"WWW-Authenticate": 'Bearer realm="arflow", error="invalid_token"'},
                )
            principal = found
        if not principal.allows(scope):
            if principal.kind == "user":
                username = principal.name.removeprefix("user:")
                raise MissingScope(
                    f"The user '{username}' lacks the scope '{scope}': none of the user's roles grants it.",
                    detail_zh=f"用户 '{username}' 没有权限范围 '{scope}'：其角色均不包含该权限。",
                )
            raise MissingScope(
                f"The API key '{principal.name}' lacks the scope '{scope}'.",
                detail_zh=f"API 密钥 '{principal.name}' 没有权限范围 '{scope}'。",
            )
        request.state.principal = principal
        set_actor(principal)
        return principal

    return dependency
