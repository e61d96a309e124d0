"""Idempotency-Key on creating POSTs and on every call that moves money, as Stripe does it.

The same key with the same body returns the first response again; the same key
with a different body is a 409. The key row is inserted in the request's own
transaction before the work is done: a concurrent duplicate waits on the
unique index and then sees the stored response; a request that fails rolls its
key back with everything else, so it can be retried.

A route whose work is only rows in its own database (`writes_only_here=True`)
saves a round trip: its key is claimed after the work, with the answer, in one
INSERT. A duplicate then does the work too, waits on the unique index for the
first to commit, finds the key taken and rolls its own work back (`Replayed`,
answered by the service's handler) before replaying or refusing: nothing of it
is left. Such a route may also answer a `Completion`: the answer but for what its
last statement gives (an invoice's number), which runs after the key is claimed
and writes those pieces into the stored answer itself, so that nothing but the
commit follows it (a row that statement locks is held for no round trip more).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Text, cast, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.persistence import idempotency_key
from arflow.problems import Conflict, Unprocessable

MAX_KEY_LENGTH = 255


class InvalidIdempotencyKey(Unprocessable):
    code = "invalid_idempotency_key"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class KeyRef:
    """The claimed idempotency_key row (principal, key), for a statement that completes its stored answer."""

    principal: str
    key: str


@dataclass
class Completion:
    """An answer (`draft`: what is known before the last statement) and `complete`, which runs that statement.

    `complete(ref)` is awaited after the key is claimed with `draft` as its answer; its statement must
    write what it adds into that row's `response_body` (ref is None without an Idempotency-Key) and it
    returns the whole answer, which is sent.
    """

    draft: Any
    complete: Callable[[KeyRef | None], Awaitable[Any]]


class Replayed(Exception):
    """Raised to roll a duplicate's work back; the service answers with `response` (service.py)."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__("idempotent replay")
        self.response = response


async def _declare_idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            description=(
                "Any string unique to this change, e.g. a UUID. A retry with the same key and the same request "
                "returns the first answer (header `Idempotent-Replayed: true`) and changes nothing; the same key "
                "with another request is a 409 `idempotency_key_reused`. Kept at least 24 hours."
            ),
        ),
    ] = None,
) -> None:
    """Declares the header in the OpenAPI document; `idempotent()` reads it from the request."""


# On a route: `dependencies=[IDEMPOTENT]`, and the handler answers through `idempotent()`.
IDEMPOTENT = Depends(_declare_idempotency_key)


def _fingerprint(method: str, path: str, body: Any) -> str:
    # A model's JSON dump is what jsonable_encoder makes of it, without its walk over the result in Python:
    # the same canonical text, so keys stored before still match.
    plain = body.model_dump(mode="json", by_alias=True) if isinstance(body, BaseModel) else jsonable_encoder(body)
    canonical = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _json_of(answer: Any) -> bytes:
    """The answer as JSON, once: what is stored for replays is what is sent (pydantic's serializer for a model)."""
    if isinstance(answer, BaseModel):
        return answer.__pydantic_serializer__.to_json(answer, by_alias=True)
    return json.dumps(jsonable_encoder(answer), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def idempotent(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    body: Any,
    create: Callable[[], Awaitable[Any]],
    *,
    status_code: int = 201,
    writes_only_here: bool = False,
) -> JSONResponse:
    """Run `create` once per Idempotency-Key; replay its response for repeats.

    `writes_only_here`: `create` has no effect outside this transaction (no call out, no file, no
    message but through the outbox), so the key is claimed after it, with its answer, in one statement.
    """
    key = request.headers.get("idempotency-key")
    if key is None:
        result = await create()
        if isinstance(result, Completion):
            result = await result.complete(None)
        return _answer(_json_of(result), status_code)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters.",
            detail_zh=f"Idempotency-Key 须为 1-{MAX_KEY_LENGTH} 个字符。",
        )
    fingerprint = _fingerprint(request.method, request.url.path, body)
    claim = {
        "principal": principal.name,
        "key": key,
        "method": request.method,
        "path": request.url.path,
        "request_hash": fingerprint,
    }
    if writes_only_here:
        result = await create()
        completion = result if isinstance(result, Completion) else None
        answer = _json_of(completion.draft if completion else result)
        claimed = await session.scalar(
            pg_insert(idempotency_key)
            .values(**claim, status_code=status_code, response_body=_jsonb(answer))
            .on_conflict_do_nothing()
            .returning(idempotency_key.c.key)
        )
        if claimed is None:
            raise Replayed(await _replay(session, principal, key, fingerprint))
        if completion is not None:
            answer = _json_of(await completion.complete(KeyRef(principal.name, key)))
        return _answer(answer, status_code)
    claimed = await session.scalar(
        pg_insert(idempotency_key).values(**claim).on_conflict_do_nothing().returning(idempotency_key.c.key)
    )
    if claimed is None:
        return await _replay(session, principal, key, fingerprint)
    result = await create()
    if isinstance(result, Completion):
        result = await result.complete(None)
    answer = _json_of(result)
    await session.execute(
        update(idempotency_key)
        .where(idempotency_key.c.principal == principal.name, idempotency_key.c.key == key)
        .values(status_code=status_code, response_body=_jsonb(answer))
    )
    return _answer(answer, status_code)


def _jsonb(answer: bytes) -> Any:
    # the JSON text as it is: the column's own type would encode it again, as a JSON string
    return cast(literal(answer.decode(), Text), JSONB)


class _RenderedJSON(JSONResponse):
    """A JSON answer already rendered."""

    def render(self, content: Any) -> bytes:
        return content  # type: ignore[no-any-return]


def _answer(answer: bytes, status_code: int) -> JSONResponse:
    return _RenderedJSON(answer, status_code=status_code)


async def _replay(session: AsyncSession, principal: Principal, key: str, fingerprint: str) -> JSONResponse:
    """The first answer to this key, or 409 when the key came with another request."""
    c = idempotency_key.c
    stored = (
        await session.execute(
            select(c.request_hash, c.status_code, c.response_body).where(c.principal == principal.name, c.key == key)
        )
    ).one()
    if stored.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request.",
            detail_zh="此 Idempotency-Key 已用于另一个不同的请求。",
        )
    return JSONResponse(stored.response_body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"})
