"""Bearer API keys with scopes, one set for the whole platform.

Keys are never stored: only their SHA-256. The list comes from
ARFLOW_API_KEYS (inline JSON) and/or ARFLOW_API_KEYS_FILE, each entry
`{"name": "crm", "sha256": "<hex>", "scopes": ["invoicing:read", ...]}`.
A scope is `<service>:<read|write|admin>`; `<service>:*` and `*` grant more.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from arflow.problems import Forbidden, Unauthorized

KEY_PREFIX = "arf_"


class MissingApiKey(Unauthorized):
    code = "missing_api_key"


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"


class MissingScope(Forbidden):
    code = "missing_scope"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the API key's name and what it may do."""

    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)

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
    bearerFormat="arf_…",
    description="An arflow API key: `Authorization: Bearer arf_…`. Scopes are `<service>:<read|write|admin>`.",
    auto_error=False,
)


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: the caller must hold a key granting `scope`."""

    async def dependency(
        request: Request, _declared: HTTPAuthorizationCredentials | None = Security(API_KEY_SCHEME)
    ) -> Principal:
        keyring: KeyRing = request.app.state.keyring
        principal = keyring.authenticate(_bearer_token(request))
        if principal is None:
            raise InvalidApiKey(
                "The API key is not valid.",
                detail_zh="API 密钥无效。",
                headers={"WWW-Authenticate": 'Bearer realm="arflow", error="invalid_token"'},
            )
        if not principal.allows(scope):
            raise MissingScope(
                f"The API key '{principal.name}' lacks the scope '{scope}'.",
                detail_zh=f"API 密钥 '{principal.name}' 没有权限范围 '{scope}'。",
            )
        request.state.principal = principal
        return principal

    return dependency
