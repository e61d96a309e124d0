"""Sign-in tokens: short-lived JWTs the people service signs (Ed25519) and every service verifies.

The people service holds the private key; every other service only the public
one, so a service that is broken into cannot mint a token for another. A token
names its user (`sub`, `name`), the scopes of the user's roles (`scope`,
space-separated as in OAuth 2.0), the roles and the session it belongs to
(`sid`). It lives minutes (people: ARFLOW_ACCESS_TOKEN_MINUTES); a signed-out
session's refresh token stops working at once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "arflow-people"
AUDIENCE = "arflow"
ALGORITHM = "EdDSA"


def generate_signing_key() -> tuple[str, str]:
    """A new Ed25519 key pair as PEM text: (private, public)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def ensure_signing_key(directory: Path) -> tuple[Path, Path]:
    """The key pair kept in `directory` (token-signing.pem, token-signing.pub.pem), made on first use."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / "token-signing.pem", directory / "token-signing.pub.pem"
    if not private_path.exists() or not public_path.exists():
        private_pem, public_pem = generate_signing_key()
        private_path.touch(mode=0o600)
        private_path.write_text(private_pem)
        public_path.write_text(public_pem)
    return private_path, public_path


def public_key_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass(frozen=True)
class TokenClaims:
    subject: str  # the user's id
    name: str  # the user's username
    scopes: frozenset[str]
    roles: tuple[str, ...]
    session_id: str
    expires_at: datetime


def sign(private_pem: str, claims: TokenClaims, *, issued_at: datetime, token_id: str) -> str:
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": claims.subject,
        "name": claims.name,
        "scope": " ".join(sorted(claims.scopes)),
        "roles": list(claims.roles),
        "sid": claims.session_id,
        "iat": int(issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "jti": token_id,
    }
    return jwt.encode(payload, private_pem, algorithm=ALGORITHM)


class TokenRejected(Exception):
    """Not a token this platform signed, or no longer valid; `reason` says which, for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def looks_like_token(presented: str) -> bool:
    """A JWT (three base64url parts) rather than an API key."""
    return presented.count(".") == 2


class TokenVerifier:
    """Verifies tokens with the people service's public key (signature, issuer, audience, expiry)."""

    def __init__(self, public_pem: str, *, leeway_seconds: int = 30, remembered: int = 4096) -> None:
        self._key = serialization.load_pem_public_key(public_pem.encode())
        self._leeway = timedelta(seconds=leeway_seconds)
        # A person's console sends the same token with every request for its 15 minutes: its signature is
        # checked once (Ed25519 costs ~0.2-0.9 ms a time here, most of what authorizing a write costs) and its
        # claims remembered by the exact token text. Expiry is still judged on every call; the oldest go first.
        self._verified: OrderedDict[str, TokenClaims] = OrderedDict()
        self._remembered = remembered

    @classmethod
    def from_settings(cls, inline: str | None, path: Path | None) -> TokenVerifier | None:
        pem = inline or (Path(path).read_text() if path else None)
        return cls(pem) if pem else None

    def verify(self, token: str, *, now: datetime) -> TokenClaims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._checked(token, now=now)
            self._verified[token] = claims
            if len(self._verified) > self._remembered:
                self._verified.popitem(last=False)
        else:
            self._verified.move_to_end(token)
        # Expiry against the service's clock (an injectable one in tests), not the wall clock.
        if claims.expires_at + self._leeway < now:
            raise TokenRejected("ExpiredSignatureError")
        return claims

    def _checked(self, token: str, *, now: datetime) -> TokenClaims:
        """The claims of a token whose signature, issuer and audience are right (expiry is verify's)."""
        try:
            payload = jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "sid"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(type(exc).__name__) from exc
        expires_at = datetime.fromtimestamp(int(payload["exp"]), tz=now.tzinfo)
        return TokenClaims(
            subject=str(payload["sub"]),
            name=str(payload.get("name") or payload["sub"]),
            scopes=frozenset(str(payload.get("scope") or "").split()),
            roles=tuple(str(r) for r in payload.get("roles") or ()),
            session_id=str(payload["sid"]),
            expires_at=expires_at,
        )
