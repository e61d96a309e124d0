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
so the ratio is the servers'. Rounds alternate hello / bare select / GET so that the machine's
swings fall on all; printed: requests/s of each round, the best of each, and GET / hello.

The bound: a third server, the bare select - the same FastAPI and uvicorn, one asyncpg SELECT
of the customer row by primary key from a pool, the row out as JSON - the least any GET that
reads the database does. If it manages less than 0.5x the hello, no GET of a stored resource
can meet the target on this machine, and the output says so; GET / bare select is what the
service's stack (auth, session, transaction, ORM, response model) leaves of it. `--profile DIR`
records the service with py-spy during one more round and prints where its CPU went.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID  # at module level: the bare select's route annotation is resolved from here

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


BARE_SELECT_DSN = "BENCH_BARE_SELECT_DSN"  # the environment variable the bare-select app reads its database from


def bare_select_app() -> object:
    """The least a GET of one resource from the database must do: FastAPI routing the id, one asyncpg SELECT by
    primary key on a pooled connection (no transaction block, no ORM, no auth), the row out as JSON."""
    import os
    from contextlib import asynccontextmanager

    import asyncpg
    from fastapi import FastAPI, Response

    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        nonlocal pool
        pool = await asyncpg.create_pool(os.environ[BARE_SELECT_DSN], min_size=4, max_size=10)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/customers/{customer_id}")
    async def one(customer_id: UUID) -> Response:
        assert pool is not None
        row = await pool.fetchrow("SELECT * FROM customer WHERE id = $1", customer_id)
        if row is None:
            return Response(status_code=404)
        return Response(json.dumps(dict(row), default=str, ensure_ascii=False), media_type="application/json")

    return app


class Quiet(io.StringIO):
    """Where the service's own output goes: the bench prints only its figures."""

    def write(self, text: str) -> int:
        return len(text)


def spawn_hello(port: int, factory: str = "hello_app", env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """The hello (or the bare select) under spawn_service's uvicorn command line (loop and http left to uvicorn's
    auto), from this file."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"http_get:{factory}",
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
        env={**os.environ, **(env or {})},
    )


def start_py_spy(pid: int, raw: str) -> subprocess.Popen[bytes]:
    """py-spy recording process `pid` into `raw` (its raw collapsed-stack format) until it gets SIGINT."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("--profile needs py-spy (requirements-dev.txt pins it)")
    command = [spy, "record", "--nonblocking", "--format", "raw", "--rate", "200", "-p", str(pid), "-o", raw]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


LIBRARIES = ("sqlalchemy", "asyncpg", "pydantic", "pydantic_core", "fastapi", "starlette", "uvicorn", "arflow")


def profile_top(raw_path: str, n: int = 15) -> list[str]:
    """py-spy's raw samples of the service read two ways: the share of samples whose innermost frame is in each
    library, and the functions with the largest own (innermost) share."""
    by_library: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    with contextlib.suppress(FileNotFoundError), open(raw_path) as raw:
        for line in raw:
            stack, _, count = line.rstrip().rpartition(" ")
            if not count.isdigit():
                continue
            samples, frames = int(count), stack.split(";")
            total += samples
            leaf = frames[-1]
            where = leaf.rpartition(" (")[2]
            library = next((lib for lib in LIBRARIES if f"/{lib}/" in where or where.startswith(f"{lib}/")), None)
            library = library or ("invoicing" if "invoicing/" in where else "other (asyncio, uvloop, stdlib)")
            by_library[library] = by_library.get(library, 0) + samples
            name = f"{leaf.partition(' (')[0]} ({where.rsplit('site-packages/', 1)[-1]})"
            own[name] = own.get(name, 0) + samples
    if not total:
        return ["  (no samples: py-spy could not attach)"]
    out = [
        f"  {total:,} samples: "
        + ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(by_library.items(), key=lambda kv: -kv[1]))
    ]
    out += [f"    {v / total:6.1%}  {k}" for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:n]]
    return out


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


async def main(count: int, rounds: int, connections: int, profile: str | None) -> None:
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
        service_port, hello_port, select_port = free_port(), free_port(), free_port()
        service = spawn_service(spec, env, port=service_port, output=Quiet())
        processes.append(service)
        processes.append(spawn_hello(hello_port))
        dsn = f"{infra.server_url.rsplit('/', 1)[0]}/{infra.database_name('invoicing')}".replace("+asyncpg", "")
        processes.append(spawn_hello(select_port, "bare_select_app", {BARE_SELECT_DSN: dsn}))
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
            await eventually(lambda: ready(f"http://127.0.0.1:{select_port}{resource}"), within=30, what="bare select")
        await load(hello_port, "/hello", {}, min(count, 1000), connections)  # warm-up
        await load(service_port, resource, auth, min(count, 1000), connections)
        await load(select_port, resource, {}, min(count, 1000), connections)
        print(f"GET {resource} vs a bare FastAPI hello, uvicorn (uvloop, httptools), {connections} connections")
        print("(bare select: FastAPI + one asyncpg SELECT by primary key from a pool, JSON out - the least a GET")
        print(" that reads the database does; healthz: the service's own stack, no key, no database)")
        hellos, selects, gets, healths = [], [], [], []
        for n in range(rounds):
            hellos.append(await load(hello_port, "/hello", {}, count, connections))
            selects.append(await load(select_port, resource, {}, count, connections))
            gets.append(await load(service_port, resource, auth, count, connections))
            healths.append(await load(service_port, "/healthz", {}, count, connections))
            print(
                f"round {n + 1}   hello {hellos[-1]:8,.0f}   bare select {selects[-1]:8,.0f}"
                f"   GET one customer {gets[-1]:8,.0f}   healthz {healths[-1]:8,.0f} requests/s"
            )
        hello, select, get, health = max(hellos), max(selects), max(gets), max(healths)
        print(
            f"best      hello {hello:8,.0f}   bare select {select:8,.0f}   GET one customer {get:8,.0f}"
            f"   healthz {health:8,.0f} requests/s"
        )
        print(f"ratio     GET / hello = {get / hello:.2f}x  (target >= 0.5x); healthz / hello = {health / hello:.2f}x")
        bound = select / hello
        verdict = (
            "the target is impossible for any GET that reads the database, on this machine"
            if bound < 0.5
            else "the target is within reach of a GET that reads the database"
        )
        print(f"bound     bare select / hello = {bound:.2f}x  ({verdict})")
        print(f"ratio     GET / bare select = {get / select:.2f}x  (what the service's stack leaves of the bound)")
        if profile:
            raw = f"{profile}/invoicing-get.txt"
            recorder = start_py_spy(service.pid, raw)
            await asyncio.sleep(1)
            await load(service_port, resource, auth, count, connections)
            recorder.send_signal(signal.SIGINT)
            recorder.wait(30)
            print(f"profile   the service during {count:,} GETs (py-spy, innermost frames; raw samples in {raw})")
            for line in profile_top(raw):
                print(line)
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
    parser.add_argument("--profile", metavar="DIR", help="record the service with py-spy during one more GET round")
    args = parser.parse_args()
    count = args.requests or (3_000 if args.quick else 20_000)
    asyncio.run(main(count, args.rounds, args.connections, args.profile))
    sys.exit(0)
