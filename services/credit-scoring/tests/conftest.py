from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from arflow.clock import FixedClock
from arflow.events.catalog import INVOICING, topic_of
from arflow.messaging.kafka import ensure_topics
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import RunningService, running_service, test_settings
from credit_scoring.config import CreditScoringSettings
from credit_scoring.main import create_app


@pytest.fixture(scope="session")
def credit_scoring_clock() -> FixedClock:
    # 2026-04-15 10:00 in Asia/Shanghai: "today" for files built without an as_of.
    return FixedClock(datetime(2026, 4, 15, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
async def credit_scoring_producer(infra: TestInfrastructure) -> AsyncIterator[AIOKafkaProducer]:
    # The topic exists before the consumer subscribes, as `make run` provisions it.
    await ensure_topics(infra.bootstrap, [topic_of(INVOICING)])
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@pytest.fixture(scope="session")
async def credit_scoring(
    infra: TestInfrastructure, api_key: str, credit_scoring_clock: FixedClock, credit_scoring_producer: AIOKafkaProducer
) -> AsyncIterator[RunningService]:
    settings = test_settings(CreditScoringSettings, infra, api_key)
    async with running_service(
        "credit-scoring", create_app, settings, infra, api_key, clock=credit_scoring_clock
    ) as running:
        yield running
