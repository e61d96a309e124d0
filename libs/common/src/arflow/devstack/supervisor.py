"""Keeps `make run`'s processes alive: a child that dies is started again, with backoff; the others run on.

Each child is started by a function of its own (a service replica under uvicorn,
say) in its own session, so a Ctrl-C at the terminal reaches only the supervisor,
which then stops every child with one SIGTERM (a second would force-quit it) and
kills what has not stopped within the grace period. Every child's pid is kept in
a pid file under `run_dir`: a supervisor killed outright (SIGKILL, a closed
terminal) leaves its children running, and the next one stops them before it
starts its own, instead of failing on ports still taken. `status()` says which
child runs and which waits to be started again; it is also written to
`run_dir/status.json` at every change, for a person or a script to read.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arflow.retry import Backoff

# A child that ran this long before dying is restarted after the shortest delay again.
STEADY_SECONDS = 30.0


@dataclass
class Child:
    """One supervised process: how to start it, and what became of it."""

    name: str
    start: Callable[[], subprocess.Popen[Any]]
    stop_last: bool = False  # infrastructure (the broker): stopped once the others have stopped
    url: str | None = None  # a service's base URL, where `status` asks its readiness
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=1.0, cap=30.0))
    process: subprocess.Popen[Any] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    last_exit: int | None = None

    @property
    def state(self) -> str:
        if self.process is not None and self.process.poll() is None:
            return "running"
        return "restarting" if self.restart_at is not None else "stopped"


class Supervisor:
    """Starts children, restarts the ones that die, and stops them all."""

    def __init__(self, children: list[Child], *, run_dir: Path, say: Callable[[str], None]) -> None:
        self.children = children
        self.run_dir = run_dir
        self.say = say
        run_dir.mkdir(parents=True, exist_ok=True)

    def stop_orphans(self) -> list[int]:
        """Stop the processes a previous supervisor left behind (by their pid files); returns their pids."""
        stopped = []
        for pid_file in sorted(self.run_dir.glob("*.pid")):
            with contextlib.suppress(ValueError, OSError):
                pid = int(pid_file.read_text().strip())
                if _alive(pid):
                    _stop_group(pid, grace=5.0)
                    stopped.append(pid)
            pid_file.unlink(missing_ok=True)
        if stopped:
            self.say(f"stopped {len(stopped)} process(es) an earlier run left behind: {stopped}")
        return stopped

    def start_all(self) -> None:
        """Start every child not started yet (children may be added between calls: the broker first)."""
        for child in self.children:
            if child.process is None and child.restart_at is None:
                self._start(child)
        self._write_status()

    def tick(self, now: float | None = None) -> None:
        """Notice children that died, and start again those whose delay is over."""
        now = time.monotonic() if now is None else now
        changed = False
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                child.last_exit, child.process = process.returncode, None
                if now - child.started_at >= STEADY_SECONDS:
                    child.backoff.reset()
                delay = child.backoff.delay()
                child.restart_at = now + delay
                self.say(f"{child.name} exited with {child.last_exit}; starting it again in {delay:.0f} s")
                changed = True
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._start(child)
                self.say(f"{child.name} started again (restart {child.restarts})")
                changed = True
        if changed:
            self._write_status()

    def stop_all(self, grace: float = 10.0) -> None:
        """One SIGTERM to every child, then a kill for any still running after `grace` seconds.

        The services go first, so their relays can still publish to the broker while they drain.
        """
        for last in (False, True):
            self._stop([c for c in self.children if c.stop_last is last], grace)
        for child in self.children:
            child.process, child.restart_at = None, None
            (self.run_dir / f"{child.name}.pid").unlink(missing_ok=True)
        self._write_status()

    def _stop(self, children: list[Child], grace: float) -> None:
        running = [c.process for c in children if c.process is not None and c.process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def status(self) -> list[dict[str, Any]]:
        return [
            {
                "name": c.name,
                "state": c.state,
                "pid": c.process.pid if c.process is not None and c.state == "running" else None,
                "restarts": c.restarts,
                "last_exit": c.last_exit,
                "url": c.url,
            }
            for c in self.children
        ]

    def _start(self, child: Child) -> None:
        child.process = child.start()
        child.started_at, child.restart_at = time.monotonic(), None
        (self.run_dir / f"{child.name}.pid").write_text(f"{child.process.pid}\n")

    def _write_status(self) -> None:
        (self.run_dir / "status.json").write_text(json.dumps(self.status(), indent=2) + "\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_group(pid: int, *, grace: float) -> None:
    """SIGTERM a process's group (each child leads its own session), SIGKILL it if it outlives `grace`."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
