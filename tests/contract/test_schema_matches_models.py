"""Each service's migrations build exactly the schema its models declare.

A model changed without a migration (or the other way round) would pass every
test that creates tables from the migrations and still drift from what the
code believes: alembic's autogenerate comparison must find nothing to do.
"""

from __future__ import annotations

import asyncio
from importlib import import_module
from typing import Any
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from arflow.migrations import upgrade
from arflow.persistence import platform_metadata
from arflow.testing.infrastructure import TestInfrastructure, spec

MODELS = {
    "invoicing": "invoicing.models",
    "reconciliation": "reconciliation.models",
    "dunning": "dunning.models",
    "credit-scoring": "credit_scoring.models",
    "people": "people.models",
}


@pytest.mark.parametrize("service", sorted(MODELS))
async def test_migrations_at_head_leave_nothing_for_autogenerate(infra: TestInfrastructure, service: str) -> None:
    url = await infra.scratch_database(f"schema_{service.replace('-', '_')}_{uuid4().hex[:6]}")
    await asyncio.to_thread(upgrade, spec(service).directory, url)
    metadata: list[MetaData] = [import_module(MODELS[service]).metadata, platform_metadata]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def differences(sync_conn: Any) -> list[Any]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                # alembic annotates `metadata` as one MetaData, but hands it to AutogenContext,
                # which takes a sequence of them (as env.py's target_metadata does).
                return list(compare_metadata(context, metadata))  # type: ignore[arg-type]

            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []
