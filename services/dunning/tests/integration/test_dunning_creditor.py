"""Dunning writes as the creditor set through invoicing's API (CreditorUpdated), once it has arrived.

On a platform of its own: the shared dunning's letters are checked against the settings' creditor.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from arflow.events.catalog import ALL_TOPICS, FIRM_SUBJECT, CreditorUpdated
from arflow.messaging.kafka import ensure_topics
from arflow.testing import eventually
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService, running_service
from arflow.testing.services import test_settings as settings_for
from dunning.config import DunningSettings
from dunning.creditor.service import in_force
from dunning.main import create_app
from dunning.models import CreditorCopy


def updated(revision: int, phone: str) -> CreditorUpdated:
    return CreditorUpdated(
        customer_id=FIRM_SUBJECT,
        revision=revision,
        legal_name="杭州钱塘财税咨询有限公司",
        uscc="91330106MA2H1TQX4H",
        address="杭州市西湖区文三路 200 号",
        phone=phone,
        bank_name="中国建设银行杭州西湖支行",
        bank_account_name="杭州钱塘财税咨询有限公司",
        bank_account_number="3305 0161 6270 0000 1234",
        updated_at=datetime(2026, 3, 1, 2, revision, tzinfo=UTC),
    )


@pytest.fixture
async def bare(api_key: str, infra: TestInfrastructure) -> AsyncIterator[tuple[RunningService, TestInfrastructure]]:
    """Dunning on databases and a broker of its own, with no creditor in its settings and no demo allowed."""
    own = infra.isolated()
    try:
        await ensure_topics(own.bootstrap, list(ALL_TOPICS))
        settings = settings_for(DunningSettings, own, api_key, **dict.fromkeys(TEST_CREDITOR))
        async with running_service("dunning", create_app, settings, own, api_key) as running:
            yield running, own
    finally:
        await own.stop()


async def test_the_creditor_from_invoicing_stands_in_for_the_settings_and_an_older_revision_changes_nothing(
    bare: tuple[RunningService, TestInfrastructure],
) -> None:
    dunning, own = bare
    advice = (await dunning.client.get("/readyz")).json()["advisories"]["creditor"]
    assert advice.startswith("not configured")
    pack = await dunning.client.get(f"/cases/{uuid.uuid4()}/evidence-pack")
    assert pack.status_code == 409 and pack.json()["code"] == "creditor_not_configured"

    await publish_events(own.bootstrap, updated(2, "0571-8888 0002"), updated(1, "0571-8888 0001"))

    async def ready() -> bool:
        said = (await dunning.client.get("/readyz")).json()["advisories"]["creditor"]
        return bool(said == "ok")

    await eventually(ready, what="the creditor from invoicing in force")
    # The creditor no longer refuses the pack: the case is what is missing now.
    pack = await dunning.client.get(f"/cases/{uuid.uuid4()}/evidence-pack")
    assert pack.status_code == 404, pack.text
    async with dunning.app.state.db.unit_of_work() as session:
        stored = (await session.execute(select(CreditorCopy))).scalars().all()
        assert [(c.revision, c.phone) for c in stored] == [(2, "0571-8888 0002")]
        effective = (await in_force(session, dunning.app.state.settings)).creditor()
    assert (effective.legal_name, effective.bank_account_number, effective.demo) == (
        "杭州钱塘财税咨询有限公司",
        "3305 0161 6270 0000 1234",
        False,
    )
