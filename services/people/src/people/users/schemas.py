"""Request and response models of users."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from people.models import UserAccount

USERNAME_PATTERN = r"^[a-z][a-z0-9._-]{1,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
UserStatus = Literal["active", "disabled"]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        pattern=USERNAME_PATTERN, description="Lower-case letters, digits, '.', '_' or '-', starting with a letter."
    )
    display_name: str = Field(min_length=1, max_length=100, description="The name others see, e.g. 王芳.")
    email: str | None = Field(
        None, max_length=320, pattern=EMAIL_PATTERN, description="Where approvals and notices reach the user."
    )
    roles: list[str] = Field(min_length=1, max_length=10, description="e.g. collector, finance_manager.")
    password: str | None = Field(
        None,
        max_length=128,
        description="The first password; omitted, arflow makes one and returns it once. Changed at first sign-in.",
    )


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, min_length=1, max_length=100)
    email: str | None = Field(None, max_length=320, pattern=EMAIL_PATTERN)
    roles: list[str] | None = Field(None, min_length=1, max_length=10)
    status: UserStatus | None = Field(None, description="disabled: cannot sign in; their sessions end.")


class UserOut(BaseModel):
    id: UUID
    username: str
    display_name: str
    email: str | None
    roles: list[str]
    status: UserStatus
    must_change_password: bool
    locked_until: datetime | None
    failed_attempts: int
    last_sign_in_at: datetime | None
    password_changed_at: datetime
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class UserCreatedOut(UserOut):
    initial_password: str | None = Field(
        None, description="The password arflow made, shown this once; null when the admin gave one."
    )


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


class PasswordResetOut(BaseModel):
    user: UserOut
    initial_password: str = Field(description="The one-time password, shown this once; changed at next sign-in.")


def user_out(user: UserAccount) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)
