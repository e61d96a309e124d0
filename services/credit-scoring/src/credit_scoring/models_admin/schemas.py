"""Response models of the models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class ModelOut(BaseModel):
    kind: str
    version: str
    source: Literal["shipped_default", "retrained"]
    trained_on: dict[str, Any]
    metrics: dict[str, Any]
    details: dict[str, Any]
