"""Reliable messaging over Kafka: the transactional outbox and the idempotent consumer."""
