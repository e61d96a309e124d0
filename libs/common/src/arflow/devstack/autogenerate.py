"""Draft a service's next Alembic migration from its models (a developer's tool).

    python -m arflow.devstack.autogenerate <service> "<message>" [--rev-id 0002]

It migrates a scratch database on ARFLOW_DATABASE_URL (default: the local
server) to head, lets Alembic compare it with the models, writes the revision
file under services/<service>/migrations/versions, and drops the scratch
database. For a service's first revision, the platform tables are left out
(the revision calls arflow.migrations.platform_tables_v1 instead). Review the
draft before committing it.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from arflow.db import database_url, drop_database, ensure_database
from arflow.devstack.platform import SERVICES
from arflow.migrations import upgrade
from arflow.persistence import platform_metadata


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m arflow.devstack.autogenerate")
    parser.add_argument("service", choices=[s.name for s in SERVICES])
    parser.add_argument("message")
    parser.add_argument("--rev-id")
    args = parser.parse_args()
    spec = next(s for s in SERVICES if s.name == args.service)
    server = os.environ.get("ARFLOW_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    scratch = f"autogenerate_{spec.package}"
    url = database_url(server, scratch)
    asyncio.run(drop_database(server, scratch))
    asyncio.run(ensure_database(server, scratch))
    try:
        config = Config(str(spec.directory / "alembic.ini"))
        config.set_main_option("script_location", str(spec.directory / "migrations"))
        config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
        if ScriptDirectory.from_config(config).get_current_head() is None:
            platform_metadata.clear()  # the first revision creates them with platform_tables_v1
        else:
            upgrade(spec.directory, url)
        command.revision(config, message=args.message, autogenerate=True, rev_id=args.rev_id)
    finally:
        asyncio.run(drop_database(server, scratch))


if __name__ == "__main__":
    main()
