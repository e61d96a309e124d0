"""The console's session: one cookie, encrypted and authenticated (Fernet), HttpOnly and SameSite=Lax.

It carries the CSRF token of every form and, once a person signs in, the tokens
people gave them: the browser holds them sealed and cannot read or change them;
the console alone opens the cookie. A sign-in ends at its own deadline
(ARFLOW_CONSOLE_SESSION_MINUTES) or at people's, whichever is first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "arflow_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class SignIn:
    """Who is signed in and the tokens that act as them."""

    username: str
    display_name: str | None
    roles: list[str]
    scopes: list[str]
    access_token: str
    refresh_token: str
    access_expires_at: float  # epoch seconds, from people's expires_in against the console's clock
    ends_at: float  # the console's own deadline for this sign-in
    must_change_password: bool = False


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: SignIn | None = None
    changed: bool = False

    def sign_in(self, user: SignIn) -> None:
        """A new sign-in gets a new CSRF token, so one taken before it is worth nothing after."""
        self.user, self.csrf, self.changed = user, secrets.token_urlsafe(24), True

    def sign_out(self) -> None:
        self.user, self.csrf, self.changed = None, secrets.token_urlsafe(24), True

    def csrf_matches(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf, presented or "")


class SessionCodec:
    """Seals a session into the cookie's value and opens it again."""

    def __init__(self, secret: str) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(f"arflow-console-cookie:{secret}".encode()).digest())
        self._fernet = Fernet(key)

    def seal(self, session: Session) -> str:
        payload: dict[str, Any] = {"csrf": session.csrf, "user": asdict(session.user) if session.user else None}
        # Without the base64 padding: '=' would make the cookie a quoted string.
        return self._fernet.encrypt(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")

    def open(self, value: str | None, *, now: datetime) -> Session:
        """The session in the cookie; a missing, forged, or ended one opens as a new anonymous session."""
        if not value:
            return Session(changed=True)
        try:
            payload = json.loads(self._fernet.decrypt((value + "=" * (-len(value) % 4)).encode()))
        except (InvalidToken, ValueError):
            return Session(changed=True)
        user = SignIn(**payload["user"]) if payload.get("user") else None
        session = Session(csrf=payload["csrf"], user=user)
        if user and user.ends_at <= now.timestamp():
            session.sign_out()
        return session
