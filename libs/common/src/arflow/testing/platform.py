"""The running platform as the cross-service tests see it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from arflow.testing.smtp import SmtpSink


@dataclass
class Platform:
    urls: dict[str, str]
    smtp: SmtpSink
    api_key: str

    def client(self, service: str) -> httpx.AsyncClient:
        """An authenticated client for one service (use it in `async with`)."""
        return httpx.AsyncClient(
            base_url=self.urls[service], headers={"Authorization": f"Bearer {self.api_key}"}, timeout=10
        )
