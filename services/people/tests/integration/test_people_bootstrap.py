"""The first administrator `make run` makes: once, with a one-time password that works."""

from __future__ import annotations

from datetime import UTC, datetime

from people.bootstrap import FIRST_ADMIN, ensure_first_admin
from people.config import PeopleSettings
from people.main import create_app

from arflow.clock import FixedClock
from arflow.db import Database, database_url
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import running_service
from arflow.testing.services import test_settings as settings_for
from arflow.tokens import generate_signing_key


async def test_the_first_admin_is_made_once_and_signs_in_with_the_printed_password(
    infra: TestInfrastructure, api_key: str
) -> None:
    own = infra.isolated()  # a people database with nobody in it
    try:
        settings = settings_for(PeopleSettings, own, api_key, token_private_key=generate_signing_key()[0])
        clock = FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
        async with running_service("people", create_app, settings, own, api_key, clock=clock) as people:
            db = Database(database_url(settings.database_url, settings.database_name("people")), pool_size=1)
            try:
                password = await ensure_first_admin(db, settings)
                assert password is not None and len(password) >= 20
                assert await ensure_first_admin(db, settings) is None
            finally:
                await db.dispose()
            session = await people.client.post(
                "/sessions", json={"username": FIRST_ADMIN, "password": password}, headers={"Authorization": ""}
            )
            assert session.status_code == 201, session.text
            assert session.json()["must_change_password"] and session.json()["user"]["roles"] == ["admin"]
    finally:
        await own.stop()
