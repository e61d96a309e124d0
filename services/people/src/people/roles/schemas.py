"""Request and response models of roles."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RoleOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    scopes: list[str]
    updated_at: datetime
    updated_by: str


class RoleScopesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scopes: list[str] = Field(max_length=50, description="Scopes the role grants, e.g. dunning:write.")
