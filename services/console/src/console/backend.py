"""Calls to the five services' public APIs, as the signed-in person (their access token)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from arflow.clock import Clock
from console.config import ConsoleSettings
from console.session import Session, SignIn

# Refresh the access token this long before it expires, so a page never sends one that lapses on the way.
REFRESH_MARGIN_SECONDS = 60


@dataclass
class Problem(Exception):
    """A service answered with a problem (or not at all): shown to the person, in their language."""

    status: int
    code: str
    detail: str
    # The problem's own fields besides code and detail (dunning's `step`, `reason`, `not_before` …).
    fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, response: httpx.Response) -> Problem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        detail = str(body.get("detail") or response.text[:200])
        return cls(response.status_code, str(body.get("code", "error")), detail, {**body, "detail": detail})


@dataclass
class Reading:
    """What a GET brought back: the body on 200; `missing` on 404 or 403; `failed` when the service did not answer."""

    status: int
    body: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def missing(self) -> bool:
        return self.status in (403, 404)

    @property
    def failed(self) -> bool:
        return not self.ok and not self.missing


class SessionEnded(Exception):
    """People no longer honours the sign-in (refresh refused): the person signs in again."""


class Backend:
    """One pooled HTTP client for every service."""

    def __init__(self, settings: ConsoleSettings, clock: Clock, transport: httpx.AsyncBaseTransport | None = None):
        self.settings, self.clock = settings, clock
        self.client = httpx.AsyncClient(timeout=10, transport=transport)
        self._refreshing: dict[str, asyncio.Lock] = {}
        self._refreshed: dict[str, tuple[float, dict[str, Any]]] = {}

    async def close(self) -> None:
        await self.client.aclose()

    def url(self, service: str, path: str) -> str:
        return self.settings.service_url(service) + path

    async def sign_in(self, username: str, password: str, language: str) -> SignIn:
        try:
            response = await self.client.post(
                self.url("people", "/sessions"),
                json={"username": username, "password": password},
                headers={"Accept-Language": language},
            )
        except httpx.HTTPError as error:
            raise Problem(503, "service_unreachable", f"people: {type(error).__name__}") from error
        if response.status_code != 201:
            raise Problem.of(response)
        return self._sign_in_of(response.json(), ends_at=None)

    def _sign_in_of(self, body: dict[str, Any], ends_at: float | None) -> SignIn:
        now = self.clock.now().timestamp()
        user = body.get("user") or {}
        if ends_at is None:
            ends_at = now + self.settings.console_session_minutes * 60
            if body.get("session_expires_at"):  # people's own end of the session, if sooner
                people_end = datetime.fromisoformat(str(body["session_expires_at"]).replace("Z", "+00:00"))
                ends_at = min(ends_at, people_end.timestamp())
        return SignIn(
            username=str(user.get("username", "")),
            display_name=user.get("display_name"),
            roles=list(user.get("roles", [])),
            scopes=list(body.get("scopes", [])),
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            access_expires_at=now + int(body.get("expires_in", 900)),
            ends_at=ends_at,
            must_change_password=bool(body.get("must_change_password", False)),
        )

    async def refresh(self, session: Session) -> None:
        """A new token pair for the session's person (a refresh token works once: the pair is replaced).

        Two requests of one browser may both find the token about to lapse. people ends a session whose
        refresh token is presented twice, so in this process the second waits for the first and takes
        the same new pair (kept a minute, by the old token's hash).
        """
        assert session.user is not None
        old = hashlib.sha256(session.user.refresh_token.encode()).hexdigest()
        lock = self._refreshing.setdefault(old, asyncio.Lock())
        async with lock:
            now = self.clock.now().timestamp()
            self._refreshed = {k: v for k, v in self._refreshed.items() if v[0] > now}
            if old in self._refreshed:
                body = self._refreshed[old][1]
            else:
                response = await self.client.post(
                    self.url("people", "/sessions/refresh"), json={"refresh_token": session.user.refresh_token}
                )
                if response.status_code not in (200, 201):
                    session.sign_out()
                    raise SessionEnded
                body = response.json()
                self._refreshed[old] = (now + 60, body)
        self._refreshing.pop(old, None)
        session.user = self._sign_in_of(body, ends_at=session.user.ends_at)
        session.changed = True

    async def call(
        self,
        session: Session,
        method: str,
        service: str,
        path: str,
        *,
        language: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """A request as the signed-in person, the token refreshed first when it is about to lapse."""
        if session.user is None:
            raise SessionEnded
        if session.user.access_expires_at - self.clock.now().timestamp() < REFRESH_MARGIN_SECONDS:
            await self.refresh(session)
        headers = {"Authorization": f"Bearer {session.user.access_token}", "Accept-Language": language}
        if idempotent:
            headers["Idempotency-Key"] = secrets.token_hex(16)
        try:
            response = await self.client.request(
                method, self.url(service, path), json=json, params=params, files=files, headers=headers
            )
        except httpx.HTTPError as error:
            raise Problem(503, "service_unreachable", f"{service}: {type(error).__name__}") from error
        if response.status_code == 401:
            # A token people no longer honours (the session was ended elsewhere, say): sign in again.
            session.sign_out()
            raise SessionEnded
        return response

    async def fresh(self, session: Session) -> None:
        """Refresh once before several calls go out together (each would otherwise find the token lapsing)."""
        if session.user and session.user.access_expires_at - self.clock.now().timestamp() < REFRESH_MARGIN_SECONDS:
            await self.refresh(session)

    async def read(
        self, session: Session, service: str, path: str, *, language: str, params: dict[str, Any] | None = None
    ) -> Reading:
        """A GET as the person whose failure is shown on the page, not raised: one service down leaves the rest."""
        try:
            response = await self.call(session, "GET", service, path, language=language, params=params)
        except Problem as problem:
            return Reading(problem.status)
        if response.status_code != 200:
            return Reading(response.status_code)
        try:
            return Reading(200, response.json())
        except ValueError:
            return Reading(502)

    async def customer_names(self, session: Session, ids: list[str], *, language: str) -> dict[str, str]:
        """invoicing's legal name of each customer asked for, in one call (archived ones too)."""
        wanted = sorted(set(ids))[:100]
        if not wanted:
            return {}
        reading = await self.read(
            session,
            "invoicing",
            "/customers",
            language=language,
            params={"id": wanted, "include_archived": "true", "limit": 100},
        )
        return {c["id"]: c["legal_name"] for c in reading.body["data"]} if reading.ok else {}

    async def sign_out(self, session: Session) -> None:
        """Ends the session at people too (its refresh token stops working at once)."""
        if session.user is None:
            return
        # The console forgets the tokens either way; an access token lapses within minutes.
        with contextlib.suppress(httpx.HTTPError):
            await self.client.delete(
                self.url("people", "/sessions/current"),
                headers={"Authorization": f"Bearer {session.user.access_token}"},
            )
