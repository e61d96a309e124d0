"""The first administrator, made once: `python -m people.bootstrap` (what `make run` does).

Prints the username and a one-time password when it makes one, like the
development API key; nothing when an administrator exists already.
"""

from __future__ import annotations

import asyncio
import sys

from arflow.auth import Principal
from arflow.clock import SystemClock
from arflow.db import Database, database_url
from arflow.logging import configure_logging
from people.config import PeopleSettings
from people.users import repository, service
from people.users.schemas import UserIn

FIRST_ADMIN = "admin"
BOOTSTRAP = Principal(name="system:people-bootstrap")


async def ensure_first_admin(db: Database, settings: PeopleSettings) -> str | None:
    """The first admin's one-time password when this made them; None when there are users already."""
    async with db.unit_of_work() as session:
        if await repository.count_users(session) > 0:
            return None
        data = UserIn(
            username=FIRST_ADMIN, display_name="管理员 Administrator", email=None, roles=["admin"], password=None
        )
        _, password = await service.create_user(
            session, clock=SystemClock(), settings=settings, data=data, actor=BOOTSTRAP
        )
        return password


async def _main() -> int:
    settings = PeopleSettings()
    configure_logging("people", level="WARNING")  # stdout carries the credentials line alone
    db = Database(database_url(settings.database_url, settings.database_name("people")), pool_size=1)
    try:
        password = await ensure_first_admin(db, settings)
    finally:
        await db.dispose()
    if password is not None:
        print(f"first administrator: username {FIRST_ADMIN}, one-time password {password} (changed at first sign-in)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
