"""The people service application: users, roles, signing in, and the approval notices sent to them."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import APPROVALS, topic_of
from arflow.service import ServiceDefinition, create_service_app
from arflow.tokens import TokenVerifier, public_key_of
from people.config import PeopleSettings
from people.handlers import handlers_for
from people.notices.endpoints import router as notices_router
from people.notices.sender import notice_sender
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


def definition(settings: PeopleSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="people",
        title="arflow people",
        description="Users, roles and sign-in for the people who work in arflow (用户与权限), and the emails "
        "that tell approvers what waits for them and requesters how it was decided (审批通知).",
        routers=[sessions_router, users_router, roles_router, notices_router],
        subscriptions=[topic_of(APPROVALS)],
        handlers=handlers_for(settings),
        workers=[notice_sender],
        on_startup=load_signing_key,
    )


def create_app(settings: PeopleSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or PeopleSettings()
    return create_service_app(definition(settings), settings, clock=clock)
