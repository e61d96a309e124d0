"""`python -m arflow.devstack status` (`make status`): is each process of `make run` up and ready?

The supervisor's `status.json` says which child runs and which waits to be started
again; each running service is asked for its `/readyz`, so a process that is up but
cannot reach PostgreSQL or the broker shows as not ready, and its advisories (a
creditor not configured, say) are shown too. The exit status is 0 only when every
service is ready.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    state: str  # running, restarting, stopped (the supervisor's word)
    restarts: int
    ready: bool
    detail: str
    advisories: dict[str, str] = field(default_factory=dict)


def platform_status(run_dir: Path, *, timeout: float = 2.0) -> list[ProcessStatus] | None:
    """Each supervised process and whether it is ready; None when no supervisor has written its status."""
    path = run_dir / "status.json"
    if not path.exists():
        return None
    found = []
    with httpx.Client(timeout=timeout) as client:
        for child in json.loads(path.read_text()):
            found.append(_status_of(client, child))
    return found


def _status_of(client: httpx.Client, child: dict[str, Any]) -> ProcessStatus:
    name, state, restarts = child["name"], child["state"], child.get("restarts", 0)
    if state != "running":
        exit_code = child.get("last_exit")
        detail = f"{state} (restarts: {restarts}, last exit: {exit_code})"
        return ProcessStatus(name, state, restarts, ready=False, detail=detail)
    url = child.get("url")
    if url is None:  # infrastructure (the broker): running is all there is to say
        return ProcessStatus(name, state, restarts, ready=True, detail="running")
    try:
        response = client.get(f"{url}/readyz")
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return ProcessStatus(name, state, restarts, ready=False, detail=f"not answering: {type(exc).__name__}")
    advisories = {k: v for k, v in (body.get("advisories") or {}).items() if v != "ok"}
    if response.status_code == 200:
        return ProcessStatus(name, state, restarts, ready=True, detail="ready", advisories=advisories)
    failing = ", ".join(f"{k}: {v}" for k, v in (body.get("checks") or {}).items() if v != "ok")
    return ProcessStatus(name, state, restarts, ready=False, detail=f"not ready ({failing})", advisories=advisories)


def print_status(run_dir: Path) -> int:
    found = platform_status(run_dir)
    if found is None:
        print(f"no status in {run_dir}: is `make run` running?")
        return 1
    width = max(len(p.name) for p in found)
    for process in found:
        mark = "ok " if process.ready else "!! "
        print(f"{mark}{process.name:<{width}}  {process.detail}")
        for what, said in process.advisories.items():
            print(f"   {'':<{width}}  {what}: {said}")
    return 0 if all(p.ready for p in found) else 1
