"""What every fake gateway shares: an ASGI app served by uvicorn on a free port in a thread, and callbacks
sent over real HTTP to the platform, now, later (held), or several times."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from arflow.devstack.broker import free_port


@dataclass
class Callback:
    """One callback the gateway sends (or holds): where, what, and every answer the platform gave it."""

    url: str
    body: bytes
    headers: dict[str, str]
    answers: list[int] = field(default_factory=list)
    sent: threading.Event = field(default_factory=threading.Event)  # set once every copy has been sent


class FakeGateway:
    """A gateway's fake: `start()`/`stop()` (or `with`), `base_url`, and the callbacks it made."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.callbacks: list[Callback] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request the merchant made
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def app(self) -> Starlette:
        raise NotImplementedError

    def start(self) -> FakeGateway:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=type(self).__name__, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def deliver(self, callback: Callback, *, times: int = 1, delay: float = 0.0) -> None:
        """Send `callback` `times` times, one after the other (a gateway's retries carry the same id), after
        `delay` seconds, from a thread of its own as the gateway does: the caller (a test's event loop, the fake's
        own cashier page) goes on meanwhile; `callback.answers` gets each status (0: no answer)."""

        def send() -> None:
            if delay:
                time.sleep(delay)
            with httpx.Client(timeout=30) as client:
                for _ in range(times):
                    try:
                        answer = client.post(callback.url, content=callback.body, headers=callback.headers)
                        callback.answers.append(answer.status_code)
                    except httpx.HTTPError:
                        callback.answers.append(0)
            callback.sent.set()

        with self._lock:
            self.callbacks.append(callback)
        threading.Thread(target=send, name=f"{type(self).__name__}-callback", daemon=True).start()

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))
