"""Bench: GET of one resource through the invoicing service against a bare FastAPI hello, both under uvicorn.

    .venv/bin/python bench/http_get.py            # 20,000 requests per round
    .venv/bin/python bench/http_get.py --quick    # 3,000, a few seconds

Both servers run as `make run` runs a service: one uvicorn process started by
arflow.devstack.platform.spawn_service (uvloop and httptools, which uvicorn picks when
they are installed; this bench checks that they are), the invoicing one on a scratch
database (ARFLOW_TEST_DATABASE_URL, else an embedded PostgreSQL) and a fresh Tansu broker,
with its outbox relay running. The hello is the same FastAPI with one route answering a
constant. The load comes from a minimal keep-alive HTTP/1.1 client in this process (raw
asyncio streams, no client library): its cost per request is small and the same for both,
so the ratio is the servers'. Rounds alternate hello / GET so that the machine's swings fall
on both; printed: requests/s of each round, the best of each, and GET / hello.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from arflow.auth import generate_key, hash_key
from arflow.devstack.broker import free_port
from arflow.devstack.platform import SERVICES, spawn_service
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure


def hello_app() -> object:
    """The bare FastAPI hello: the limit a GET through the service stack is measured against."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


class Quiet(io.StringIO):
    """Where the service's own output goes: the bench prints only its figures."""

    def write(self, text: str) -> int:
        return len(text)


def spawn_hello(port: int) -> subprocess.Popen[bytes]:
    """The hello under spawn_service's uvicorn command line (loop and http left to uvicorn's auto), from this file."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "http_get:hello_app",
            "--factory",
            "--app-dir",
            str(Path(__file__).resolve().parent),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--no-server-header",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def load(port: int, path: str, headers: dict[str, str], count: int, connections: int) -> float:
    """Requests/s of `count` GETs of `path` over `connections` keep-alive connections; every answer must be 200."""
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (head + "\r\n").encode()
    remaining = count

    async def one_connection() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0:
                remaining -= 1
                writer.write(request)
                status_line = await reader.readuntil(b"\r\n")
                assert status_line.split()[1] == b"200", status_line
                length = 0
                while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return count / (time.perf_counter() - started)


async def main(count: int, rounds: int, connections: int) -> None:
    for module in ("uvloop", "httptools"):  # what uvicorn's --loop auto / --http auto pick when present
        if importlib.util.find_spec(module) is None:
            raise SystemExit(f"{module} is not installed: uvicorn would fall back to the slow default")
    infra = TestInfrastructure.start()
    key = generate_key()
    processes: list[subprocess.Popen[str] | subprocess.Popen[bytes]] = []
    try:
        spec = next(s for s in SERVICES if s.name == "invoicing")
        await infra.migrated_database(spec)
        env = {
            **infra.service_env(),
            "ARFLOW_API_KEYS": json.dumps([{"name": "bench", "sha256": hash_key(key), "scopes": ["*"]}]),
            "ARFLOW_JOBS_ENABLED": "false",
            "ARFLOW_LOG_LEVEL": "ERROR",
        }
        service_port, hello_port = free_port(), free_port()
        processes.append(spawn_service(spec, env, port=service_port, output=Quiet()))
        processes.append(spawn_hello(hello_port))
        auth = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(timeout=5) as client:

            async def ready(url: str) -> bool:
                try:
                    return (await client.get(url)).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(lambda: ready(f"http://127.0.0.1:{service_port}/readyz"), within=90, what="invoicing")
            await eventually(lambda: ready(f"http://127.0.0.1:{hello_port}/hello"), within=30, what="the hello")
            created = await client.post(
                f"http://127.0.0.1:{service_port}/customers", json={"legal_name": "压测客户有限公司"}, headers=auth
            )
            assert created.status_code == 201, created.text
        resource = f"/customers/{created.json()['id']}"
        await load(hello_port, "/hello", {}, min(count, 1000), connections)  # warm-up
        await load(service_port, resource, auth, min(count, 1000), connections)
        print(f"GET {resource} vs a bare FastAPI hello, uvicorn (uvloop, httptools), {connections} connections")
        print("(healthz: the service's own stack - middleware, routing, no key, no database - for where the gap is)")
        hellos, gets, healths = [], [], []
        for n in range(rounds):
            hellos.append(await load(hello_port, "/hello", {}, count, connections))
            gets.append(await load(service_port, resource, auth, count, connections))
            healths.append(await load(service_port, "/healthz", {}, count, connections))
            print(
                f"round {n + 1}   hello {hellos[-1]:8,.0f}   GET one customer {gets[-1]:8,.0f}"
                f"   healthz {healths[-1]:8,.0f} requests/s"
            )
        hello, get, health = max(hellos), max(gets), max(healths)
        print(f"best      hello {hello:8,.0f}   GET one customer {get:8,.0f}   healthz {health:8,.0f} requests/s")
        print(f"ratio     GET / hello = {get / hello:.2f}x  (target >= 0.5x); healthz / hello = {health / hello:.2f}x")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3,000 requests per round instead of 20,000")
    parser.add_argument("--requests", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.requests or (3_000 if args.quick else 20_000), args.rounds, args.connections))
    sys.exit(0)
