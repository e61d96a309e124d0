"""`python -m arflow.devstack run`: the whole platform on this machine (what `make run` calls).

Without ARFLOW_DATABASE_URL it starts an embedded PostgreSQL under ./var/postgres
(data kept across restarts); without ARFLOW_KAFKA_BOOTSTRAP it starts Tansu on
127.0.0.1:9092. Then it creates the databases and topics, applies migrations,
writes a development API key to ./var/dev-api-key (only when no ARFLOW_API_KEYS or
ARFLOW_API_KEYS_FILE is configured: then those keys alone are valid), and runs the four services
on 8001-8004 until Ctrl-C. Unless ARFLOW_SMTP_HOST is set, a development mail
sink on 127.0.0.1:1025 keeps dunning's email in ./var/mail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from arflow.auth import generate_key, hash_key
from arflow.devstack.broker import TansuBroker
from arflow.devstack.platform import REPO_ROOT, SERVICES, prepare_databases, prepare_topics, spawn_service
from arflow.devstack.postgres import start_embedded_postgres

VAR = REPO_ROOT / "var"


def say(message: str) -> None:
    print(f"{'arflow':<14}| {message}", flush=True)


def configured_keys() -> bool:
    """Whether the operator configured API keys: then no development key is minted beside them."""
    return bool(os.environ.get("ARFLOW_API_KEYS") or os.environ.get("ARFLOW_API_KEYS_FILE"))


def dev_api_key() -> tuple[str, Path]:
    """The development key (created once) and the key file the services read."""
    key_path, keys_file = VAR / "dev-api-key", VAR / "api-keys.json"
    if not key_path.exists():
        key_path.write_text(generate_key() + "\n")
        key_path.chmod(0o600)
    key = key_path.read_text().strip()
    keys_file.write_text(json.dumps([{"name": "dev", "sha256": hash_key(key), "scopes": ["*"]}], indent=2))
    return key, keys_file


def wait_ready(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def run() -> int:
    started = time.monotonic()
    VAR.mkdir(exist_ok=True)
    broker: TansuBroker | None = None
    server_url = os.environ.get("ARFLOW_DATABASE_URL")
    if server_url:
        say("using the external PostgreSQL from ARFLOW_DATABASE_URL")
    else:
        server_url = start_embedded_postgres(VAR / "postgres")
        say(f"embedded PostgreSQL ready: {server_url}")
    bootstrap = os.environ.get("ARFLOW_KAFKA_BOOTSTRAP")
    if bootstrap:
        say(f"using the external Kafka at {bootstrap}")
    else:
        broker = TansuBroker(int(os.environ.get("ARFLOW_KAFKA_PORT", "9092")), log_path=VAR / "tansu.log")
        broker.start()
        bootstrap = broker.bootstrap
        say(f"Tansu broker listening on {bootstrap} (in memory)")

    prefix = os.environ.get("ARFLOW_DATABASE_PREFIX", "arflow_")
    asyncio.run(prepare_databases(server_url, prefix))
    created = asyncio.run(prepare_topics(bootstrap))
    say(f"migrations applied; topics created: {', '.join(created) or 'none (all present)'}")
    key, keys_file = (None, None) if configured_keys() else dev_api_key()
    mailbox = None
    if not os.environ.get("ARFLOW_SMTP_HOST"):
        from arflow.devstack.mailbox import start_mailbox  # aiosmtpd is a development dependency

        smtp_port = int(os.environ.get("ARFLOW_SMTP_PORT", "1025"))
        mailbox = start_mailbox(VAR / "mail", smtp_port, say)
        say(f"development mail sink on 127.0.0.1:{smtp_port}: messages are saved in {VAR / 'mail'}")
    env = {
        "ARFLOW_DATABASE_URL": server_url,
        "ARFLOW_DATABASE_PREFIX": prefix,
        "ARFLOW_KAFKA_BOOTSTRAP": bootstrap,
        **({"ARFLOW_API_KEYS_FILE": str(keys_file)} if keys_file else {}),
        "PYTHONUNBUFFERED": "1",
    }
    processes = [spawn_service(spec, env) for spec in SERVICES]

    def shutdown(*_: object) -> None:
        raise KeyboardInterrupt

    # Set explicitly: a shell that starts us in the background ignores SIGINT, and
    # Python then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    try:
        deadline = time.monotonic() + 60
        not_ready = [spec.name for spec in SERVICES if not wait_ready(spec.port, deadline)]
        if not_ready:
            say(f"not ready after 60 s: {', '.join(not_ready)}")
        else:
            say(f"all four services ready in {time.monotonic() - started:.1f} s")
        say("  invoicing       http://127.0.0.1:8001/docs")
        say("  reconciliation  http://127.0.0.1:8002/docs")
        say("  dunning         http://127.0.0.1:8003/docs")
        say("  credit-scoring  http://127.0.0.1:8004/docs")
        if key:
            say(f"development API key (also in {VAR / 'dev-api-key'}): {key}")
        else:
            say("API keys: the ones configured in ARFLOW_API_KEYS / ARFLOW_API_KEYS_FILE (no development key)")
        say("Ctrl-C stops everything.")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        say("a service exited; stopping the platform")
        return 1
    except KeyboardInterrupt:
        say("stopping…")
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if broker:
            broker.stop()
        if mailbox:
            mailbox.stop()
        say("stopped")


def migrate() -> int:
    """Create databases and topics and apply migrations against external servers (deploy/)."""
    server_url = os.environ["ARFLOW_DATABASE_URL"]
    bootstrap = os.environ["ARFLOW_KAFKA_BOOTSTRAP"]
    prefix = os.environ.get("ARFLOW_DATABASE_PREFIX", "arflow_")
    asyncio.run(prepare_databases(server_url, prefix))
    created = asyncio.run(prepare_topics(bootstrap))
    say(f"migrations applied; topics created: {', '.join(created) or 'none (all present)'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m arflow.devstack")
    parser.add_argument("command", choices=["run", "migrate"])
    args = parser.parse_args()
    return run() if args.command == "run" else migrate()


if __name__ == "__main__":
    sys.exit(main())
