"""Idempotency-Key on creating POSTs and on every call that moves money, as Stripe does it.

The same key with the same body returns the first response again; the same key
with a different body is a 409. The key row is inserted in the request's own
transaction before the work is done: a concurrent duplicate waits on the
unique index and then sees the stored response; a request that fails rolls its
key back with everything else, so it can be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select, update
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


def _declare_idempotency_key(
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
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def idempotent(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    body: Any,
    create: Callable[[], Awaitable[Any]],
    *,
    status_code: int = 201,
) -> JSONResponse:
    """Run `create` once per Idempotency-Key; replay its response for repeats."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return JSONResponse(jsonable_encoder(await create()), status_code=status_code)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters.",
            detail_zh=f"Idempotency-Key 须为 1-{MAX_KEY_LENGTH} 个字符。",
        )
    fingerprint = _fingerprint(request.method, request.url.path, body)
    claimed = await session.scalar(
        pg_insert(idempotency_key)
        .values(
            principal=principal.name, key=key, method=request.method, path=request.url.path, request_hash=fingerprint
        )
        .on_conflict_do_nothing()
        .returning(idempotency_key.c.key)
    )
    if claimed is None:
        stored = (
            await session.execute(
                select(idempotency_key).where(
                    idempotency_key.c.principal == principal.name, idempotency_key.c.key == key
                )
            )
        ).one()
        if stored.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request.",
                detail_zh="此 Idempotency-Key 已用于另一个不同的请求。",
            )
        return JSONResponse(
            stored.response_body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
        )
    body_out = jsonable_encoder(await create())
    await session.execute(
        update(idempotency_key)
        .where(idempotency_key.c.principal == principal.name, idempotency_key.c.key == key)
        .values(status_code=status_code, response_body=body_out)
    )
    return JSONResponse(body_out, status_code=status_code)
