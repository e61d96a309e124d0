from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from arflow.clock import FixedClock
from arflow.events.catalog import ALL_TOPICS
from arflow.messaging.kafka import ensure_topics
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.services import RunningService, running_service, test_settings
from arflow.testing.smtp import SmtpSink
from dunning.config import DunningSettings
from dunning.main import create_app


@pytest.fixture(scope="session")
def dunning_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def dunning_smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
async def dunning(
    infra: TestInfrastructure, api_key: str, dunning_clock: FixedClock, dunning_smtp: SmtpSink
) -> AsyncIterator[RunningService]:
    # The topics exist before the consumer subscribes, so it is assigned partitions at once.
    await ensure_topics(infra.bootstrap, list(ALL_TOPICS))
    settings = test_settings(
        DunningSettings, infra, api_key, smtp_port=dunning_smtp.port, email_poll_seconds=0.1, smtp_timeout=5.0
    )
    async with running_service("dunning", create_app, settings, infra, api_key, clock=dunning_clock) as running:
        yield running


@pytest.fixture(scope="session")
async def dunning_producer(infra: TestInfrastructure) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()
