"""`make status`: each supervised process, restarting or not, and each service's own readiness over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from arflow.devstack.status import platform_status, print_status


def _server(status: int, body: dict[str, Any]) -> ThreadingHTTPServer:
    class Readiness(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status if self.path == "/readyz" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Readiness)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def services() -> Iterator[dict[str, str]]:
    ready = _server(200, {"status": "ready", "checks": {"database": "ok"}, "advisories": {"creditor": "demo creditor"}})
    broken = _server(503, {"code": "not_ready", "checks": {"database": "ok", "broker": "unavailable: connecting"}})
    try:
        yield {
            "ready": f"http://127.0.0.1:{ready.server_address[1]}",
            "broken": f"http://127.0.0.1:{broken.server_address[1]}",
        }
    finally:
        ready.shutdown()
        broken.shutdown()


def test_status_reports_a_restarting_service_and_each_ones_readiness(
    tmp_path: Path, services: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "status.json").write_text(
        json.dumps(
            [
                {"name": "tansu", "state": "running", "restarts": 0, "last_exit": None, "url": None},
                {"name": "invoicing", "state": "running", "restarts": 0, "last_exit": None, "url": services["ready"]},
                {"name": "dunning", "state": "restarting", "restarts": 2, "last_exit": -9, "url": "http://x"},
                {
                    "name": "reconciliation",
                    "state": "running",
                    "restarts": 1,
                    "last_exit": 1,
                    "url": services["broken"],
                },
            ]
        )
    )
    found = {p.name: p for p in platform_status(tmp_path) or []}
    assert found["tansu"].ready and found["invoicing"].ready
    assert found["invoicing"].advisories == {"creditor": "demo creditor"}
    assert not found["dunning"].ready and found["dunning"].detail == "restarting (restarts: 2, last exit: -9)"
    assert not found["reconciliation"].ready and "broker: unavailable" in found["reconciliation"].detail

    assert print_status(tmp_path) == 1
    printed = capsys.readouterr().out
    assert "!! dunning" in printed and "ok invoicing" in printed and "creditor: demo creditor" in printed


def test_status_is_0_only_when_every_service_is_ready(tmp_path: Path, services: dict[str, str]) -> None:
    (tmp_path / "status.json").write_text(
        json.dumps([{"name": "invoicing", "state": "running", "restarts": 0, "url": services["ready"]}])
    )
    assert print_status(tmp_path) == 0
    assert print_status(tmp_path / "nowhere") == 1  # no make run here
