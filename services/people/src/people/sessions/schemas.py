"""Request and response models of signing in."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from people.users.schemas import UserOut


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class SessionOut(BaseModel):
    access_token: str = Field(description="Send as 'Authorization: Bearer <token>' to any arflow service.")
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds the access token lives.")
    expires_at: datetime
    refresh_token: str = Field(description="Exchanged once at POST /sessions/refresh for a new pair.")
    session_id: str
    session_expires_at: datetime = Field(description="When the session ends however often it is refreshed.")
    scopes: list[str]
    must_change_password: bool = Field(
        description="True: the token grants only people:self until PUT /me/password sets a password of the user's own."
    )
    user: UserOut
