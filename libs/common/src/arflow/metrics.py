"""Prometheus metrics, named arflow_<service>_<thing>_<unit>."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class ServiceMetrics:
    """The platform's metrics for one service, in their own registry."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        prefix = f"arflow_{service.replace('-', '_')}"
        self.prefix = prefix
        self.http_requests = Counter(
            f"{prefix}_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.http_latency = Histogram(
            f"{prefix}_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.events_published = Counter(
            f"{prefix}_events_published_total",
            "Events published from the outbox",
            ["event_type"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            f"{prefix}_outbox_pending_messages", "Outbox rows not yet published", registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            f"{prefix}_outbox_oldest_pending_seconds",
            "Age of the oldest outbox row not yet published (0 when none): alert when it grows",
            registry=self.registry,
        )
        self.dead_letters_open = Gauge(
            f"{prefix}_dead_letters_open",
            "Events the consumer gave up on and nobody has replayed yet",
            registry=self.registry,
        )
        self.events_republished = Counter(
            f"{prefix}_events_republished_total",
            "Events published again because the broker had lost them after acknowledging them",
            registry=self.registry,
        )
        self.events_consumed = Counter(
            f"{prefix}_events_consumed_total",
            "Events consumed, by outcome",
            ["event_type", "outcome"],
            registry=self.registry,
        )
        self.event_lag = Histogram(
            f"{prefix}_event_lag_seconds",
            "Time from an event's occurrence to its application",
            ["event_type"],
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            f"{prefix}_consumer_lag_messages",
            "Messages on the topic this process's partitions have not applied yet (log end - next to apply)",
            ["topic"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            f"{prefix}_job_runs_total", "Scheduled job runs, by status", ["job", "status"], registry=self.registry
        )

    def counter(self, thing: str, doc: str, labels: list[str] | None = None) -> Counter:
        """A service-specific counter with the house prefix."""
        return Counter(f"{self.prefix}_{thing}", doc, labels or [], registry=self.registry)

    def gauge(self, thing: str, doc: str, labels: list[str] | None = None) -> Gauge:
        return Gauge(f"{self.prefix}_{thing}", doc, labels or [], registry=self.registry)

    def install(self, app: FastAPI) -> None:
        """Time every request and serve /metrics."""

        @app.middleware("http")
        async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.http_requests.labels(request.method, path, str(response.status_code)).inc()
            self.http_latency.labels(request.method, path).observe(time.perf_counter() - started)
            return response

        @app.get("/metrics", include_in_schema=False)
        async def _metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
