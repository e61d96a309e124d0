"""Settings shared by every service, read from ARFLOW_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service needs to run; services subclass it for their own knobs."""

    model_config = SettingsConfigDict(env_prefix="ARFLOW_", extra="ignore")

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="A PostgreSQL server URL; each service derives its own database from it.",
    )
    database_prefix: str = Field(default="arflow_", description="Prefix of the per-service database names.")
    database_pool_size: int = 10
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_idempotent_producer: bool = Field(
        default=False, description="Turn on for Apache Kafka; Tansu does not support InitProducerId."
    )
    kafka_topic_partitions: int = 3
    api_keys: str | None = Field(default=None, description="Inline JSON list of API keys (see README).")
    api_keys_file: Path | None = Field(default=None, description="Path of a JSON file listing API keys.")
    token_public_key: str | None = Field(
        default=None, description="PEM public key the people service signs sign-in tokens with (inline)."
    )
    token_public_key_file: Path | None = Field(
        default=None, description="Path of that public key; without one (or the inline key) only API keys are accepted."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest JSON or form body accepted (file uploads have their own)."
    )
    log_level: str = "INFO"
    log_format: str = Field(default="json", description="json, or console for a human at a terminal.")
    relay_poll_seconds: float = 0.5
    relay_batch_size: int = 500
    relay_broker_check_seconds: float = Field(
        default=10.0, gt=0, description="How often the relay checks that the broker still holds what it acknowledged."
    )
    consumer_max_attempts: int = 4
    consumer_backoff_seconds: float = 0.2
    consumer_batch_size: int = Field(
        default=100, ge=1, le=500, description="Events of one partition a consumer applies per transaction (at most)."
    )
    consumer_lag_observe_seconds: float = Field(
        default=5.0, gt=0, description="How often the consumer measures its lag per topic (the consumer_lag gauge)."
    )
    consumer_fetch_max_wait_ms: int = Field(
        default=100, ge=10, description="How long the broker may hold a fetch for data: the floor of event latency."
    )
    outbox_retention_days: int = Field(default=7, ge=1, description="Keep published outbox rows this long.")
    idempotency_retention_hours: int = Field(default=48, ge=24, description="Keep Idempotency-Key responses this long.")
    dead_letter_retention_days: int = Field(default=30, ge=1, description="Keep replayed dead letters this long.")
    jobs_enabled: bool = Field(default=True, description="Run scheduled jobs periodically (off in tests).")
    job_interval_scale: float = Field(default=1.0, description="Multiplies every job's interval (demos).")

    def database_name(self, service: str) -> str:
        return f"{self.database_prefix}{service.replace('-', '_')}"
