"""make run's supervisor on real processes: a child that dies is started again, the others run on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from arflow.devstack.supervisor import Child, Supervisor
from arflow.retry import Backoff

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def sleeper() -> subprocess.Popen[Any]:
    return subprocess.Popen(SLEEPER, start_new_session=True)


def quick(name: str, stop_last: bool = False) -> Child:
    return Child(name, sleeper, backoff=Backoff(initial=0.2, cap=1.0), stop_last=stop_last)


def until(condition: Callable[[], bool], supervisor: Supervisor, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        supervisor.tick()
        time.sleep(0.05)


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def supervisor(tmp_path: Path, said: list[str]) -> Iterator[Supervisor]:
    running = Supervisor(
        [quick("invoicing"), quick("dunning"), quick("tansu", stop_last=True)], run_dir=tmp_path, say=said.append
    )
    running.start_all()
    yield running
    running.stop_all(grace=2)


def pid_of(supervisor: Supervisor, name: str) -> int:
    child = next(c for c in supervisor.children if c.name == name)
    assert child.process is not None
    return child.process.pid


def test_a_killed_child_is_started_again_and_the_others_run_on(supervisor: Supervisor, said: list[str]) -> None:
    first, other = pid_of(supervisor, "invoicing"), pid_of(supervisor, "dunning")
    os.kill(first, signal.SIGKILL)
    until(lambda: supervisor.status()[0]["state"] == "restarting", supervisor)
    until(lambda: supervisor.status()[0]["state"] == "running", supervisor)
    assert pid_of(supervisor, "invoicing") != first
    assert pid_of(supervisor, "dunning") == other
    invoicing = supervisor.status()[0]
    assert (invoicing["restarts"], invoicing["last_exit"]) == (1, -signal.SIGKILL)
    assert any("invoicing exited with -9" in line for line in said)


def test_a_child_that_keeps_dying_waits_longer_each_time(supervisor: Supervisor) -> None:
    child = supervisor.children[0]
    delays = []
    for _ in range(3):
        os.kill(pid_of(supervisor, "invoicing"), signal.SIGKILL)
        until(lambda: child.restart_at is not None, supervisor)
        delays.append(child.restart_at - time.monotonic() if child.restart_at else 0)
        until(lambda: child.state == "running", supervisor)
    assert delays[0] < delays[1] < delays[2] + 0.05  # 0.2 s, 0.4 s, 0.8 s


def test_the_status_file_says_which_child_runs(supervisor: Supervisor, tmp_path: Path) -> None:
    os.kill(pid_of(supervisor, "dunning"), signal.SIGKILL)
    until(lambda: supervisor.status()[1]["state"] == "restarting", supervisor)
    written = {row["name"]: row["state"] for row in json.loads((tmp_path / "status.json").read_text())}
    assert written == {"invoicing": "running", "dunning": "restarting", "tansu": "running"}


def test_stopping_stops_every_child_and_the_broker_last(supervisor: Supervisor) -> None:
    processes = [c.process for c in supervisor.children]
    supervisor.stop_all(grace=2)
    assert all(p is not None and p.poll() is not None for p in processes)
    assert [row["state"] for row in supervisor.status()] == ["stopped", "stopped", "stopped"]


def test_children_an_earlier_supervisor_left_running_are_stopped_first(tmp_path: Path, said: list[str]) -> None:
    earlier = Supervisor([quick("invoicing")], run_dir=tmp_path, say=said.append)
    earlier.start_all()
    orphan = pid_of(earlier, "invoicing")  # the earlier supervisor is "killed": nobody stops its child
    later = Supervisor([quick("invoicing")], run_dir=tmp_path, say=said.append)
    try:
        assert later.stop_orphans() == [orphan]
        earlier.children[0].process.wait(5)  # type: ignore[union-attr]
        later.start_all()
        assert pid_of(later, "invoicing") != orphan
    finally:
        later.stop_all(grace=2)
