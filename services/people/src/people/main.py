"""The people service application: users, roles and signing in."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.service import ServiceDefinition, create_service_app
from arflow.tokens import TokenVerifier, public_key_of
from people.config import PeopleSettings
from people.roles.endpoints import router as roles_router
from people.sessions.endpoints import router as sessions_router
from people.users.endpoints import router as users_router


async def load_signing_key(app: FastAPI) -> None:
    """The private key tokens are signed with, and this service's own verifier made from it."""
    settings: PeopleSettings = app.state.settings
    key = settings.private_key_pem()
    app.state.signing_key = key
    if key is not None:
        app.state.token_verifier = TokenVerifier(public_key_of(key))


DEFINITION = ServiceDefinition(
    name="people",
    title="arflow people",
    description="Users, roles and sign-in for the people who work in arflow (用户与权限).",
    routers=[sessions_router, users_router, roles_router],
    on_startup=load_signing_key,
)


def create_app(settings: PeopleSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings or PeopleSettings(), clock=clock)
