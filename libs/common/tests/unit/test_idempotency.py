"""The request fingerprint an Idempotency-Key is stored with must not change: keys stored before still match."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from arflow.idempotency import _fingerprint, _json_of


class Line(BaseModel):
    description: str
    unit_price: Decimal


class Body(BaseModel):
    customer_id: UUID
    invoice_date: date | None = None
    memo: str | None = Field(default=None, alias="note")
    lines: list[Line]


def old_fingerprint(method: str, path: str, body: Any) -> str:
    """What the fingerprint was when the keys now stored were written."""
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


BODY = Body.model_validate(
    {
        "customer_id": "0199a1b2-0000-7000-8000-000000000001",
        "invoice_date": "2026-01-05",
        "note": "一月 “服务费”",
        "lines": [{"description": "代理记账", "unit_price": "300.10"}],
    }
)


def test_a_models_fingerprint_is_what_it_was() -> None:
    assert _fingerprint("POST", "/invoices", BODY) == old_fingerprint("POST", "/invoices", BODY)


def test_a_plain_bodys_fingerprint_is_what_it_was() -> None:
    for body in (None, {"b": [1, "二"], "a": Decimal("1.50")}, [date(2026, 1, 5)]):
        assert _fingerprint("POST", "/x", body) == old_fingerprint("POST", "/x", body)


def test_another_body_has_another_fingerprint() -> None:
    other = BODY.model_copy(update={"memo": "二月"})
    assert _fingerprint("POST", "/invoices", other) != _fingerprint("POST", "/invoices", BODY)


def test_an_answer_is_rendered_as_jsonable_encoder_would() -> None:
    assert json.loads(_json_of(BODY)) == jsonable_encoder(BODY)
    plain = {"total": Decimal("1.50"), "on": date(2026, 1, 5), "name": "客户"}
    assert json.loads(_json_of(plain)) == jsonable_encoder(plain)
