"""What every request passes before a route sees it, and every response gets on its way out.

- A JSON or form body is bounded: refused by its `Content-Length` before a byte
  is read, or as soon as it grows past the bound while streaming (a file upload
  is left to its route, which knows its own limit).
- No NUL character reaches a query: PostgreSQL cannot store U+0000 in text, so
  one in a JSON string, a form field, the query string or the path is refused
  with a 422 that names where it is, instead of failing in the database (500).
- Responses carry `X-Content-Type-Options: nosniff` and deny framing; answers to
  an authenticated request are `Cache-Control: no-store`, and HTML gets a CSP.

A pure ASGI middleware: the body is buffered only for the content types it checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arflow.i18n import Language, preferred_language
from arflow.problems import Problem, problem_response, validation_failed


class PayloadTooLarge(Problem):
    status, code, title, title_zh = 413, "payload_too_large", "Payload too large", "请求体过大"


_NUL_ESCAPE = re.compile(rb"(\\+)u0000", re.IGNORECASE)
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# Swagger UI (/docs) loads its script and style from a CDN and starts with an inline script.
_HTML_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _kind(content_type: bytes | None) -> str | None:
    """'json' or 'form' for the bodies this guard checks, else None."""
    if content_type is None:
        return None
    media = content_type.split(b";", 1)[0].strip().lower()
    if media == b"application/json" or media.endswith(b"+json"):
        return "json"
    if media == b"application/x-www-form-urlencoded":
        return "form"
    return None


def has_json_nul(body: bytes) -> bool:
    """Whether a JSON text holds a `\\u0000` escape (an odd run of backslashes before `u0000`)."""
    return any(len(match.group(1)) % 2 == 1 for match in _NUL_ESCAPE.finditer(body))


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield f"{path}.{key!r}"
            yield from _nul_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}")


def _nul_errors(locations: list[str]) -> list[dict[str, Any]]:
    return [{"loc": location.split("."), "type": "string_nul"} for location in locations]


def nul_locations(body: bytes, kind: str) -> list[str]:
    """Where a body holds a NUL character, as validation locations (`body.legal_name`); [] when none."""
    if kind == "form":
        return _encoded_nul_locations(body, "body")
    if not has_json_nul(body):
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # not JSON at all: the route's own validation says so
    return list(_nul_paths(document, "body")) or ["body"]


class RequestGuard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(scope, send)
        language = preferred_language((_header(scope, b"accept-language") or b"").decode("latin-1"))
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        if b"%00" in raw_path.lower() or "\x00" in scope["path"]:
            await self._refuse(scope, receive, send, validation_failed(_nul_errors(["path"]), language), language)
            return
        in_query = _encoded_nul_locations(query, "query")
        if in_query:
            await self._refuse(scope, receive, send, validation_failed(_nul_errors(in_query), language), language)
            return
        kind = _kind(_header(scope, b"content-type"))
        if kind is None:
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await self._refuse(scope, receive, send, self._too_large(), language)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._refuse(scope, receive, send, self._too_large(), language)
                return
        locations = nul_locations(bytes(body), kind)
        if locations:
            await self._refuse(scope, receive, send, validation_failed(_nul_errors(locations), language), language)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is over {self.max_body_bytes:,} bytes.",
            detail_zh=f"请求体超过 {self.max_body_bytes:,} 字节。",
            limit=self.max_body_bytes,
        )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, problem: Problem, language: Language) -> None:
        await problem_response(problem, language=language)(scope, receive, send)

    @staticmethod
    def _with_headers(scope: Scope, send: Send) -> Send:
        authenticated = _header(scope, b"authorization") is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                if authenticated and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", _HTML_CSP))
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers


def _encoded_nul_locations(encoded: bytes, where: str) -> list[str]:
    """Where a query string or form body (`a=1&b=%00`) holds a NUL: `query.b`; [] when none."""
    if b"%00" not in encoded.lower():
        return []
    pairs = parse_qsl(encoded.decode("latin-1"), keep_blank_values=True)
    found = [f"{where}.{name.replace(chr(0), '')}" for name, value in pairs if "\x00" in name + value]
    return found or [where]


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the buffered body over once, then waits on the real one (for a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
